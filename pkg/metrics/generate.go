package metrics

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
)

// GenerateExposition writes a synthetic, deterministic exposition in the
// text format with the given number of sample lines (at least the 40 or so
// of its fixed families), for benchmarks: bench/metrics.sh serves it to
// compare the CLI with curl | grep.
//
// It uses the registry's family names and types, with an extra repository
// label to reach a cardinality the real registry never has. After the fixed
// families (build info, in flight, digest caches, storage errors, a few go_
// and process_ ones) the lines are shared out as: 30%
// imageregistry_http_requests_total{code,method,repository}, 20%
// imageregistry_http_request_duration_seconds{method,repository} (summary,
// 5 lines a series), 30% imageregistry_storage_duration_seconds
// {operation,repository} (summary), the rest
// imageregistry_pullthrough_repository_errors_total{code,operation,registry}.
// Methods are 40% get, 30% head, then put, patch, post and delete, so that
// 'http_.*' -l method=get keeps about a fifth of the lines.
func GenerateExposition(w io.Writer, series int) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	rng := rand.New(rand.NewPCG(12, 34))
	left := series
	family := func(name, typ, help string) {
		fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	}
	sample := func(name, labels string, v float64) {
		bw.WriteString(name)
		if labels != "" {
			bw.WriteString("{" + labels + "}")
		}
		bw.WriteByte(' ')
		bw.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
		bw.WriteByte('\n')
		left--
	}
	summary := func(name, labels string, scale float64) {
		n := float64(1 + rng.IntN(5000))
		sum := 0.0
		sep := ""
		if labels != "" {
			sep = ","
		}
		for _, q := range []string{"0.5", "0.9", "0.99"} {
			v := scale * (rng.Float64() + 0.01)
			sum += v
			sample(name, labels+sep+`quantile="`+q+`"`, v)
		}
		sample(name+"_sum", labels, sum*n/3)
		sample(name+"_count", labels, n)
	}
	methods := []string{
		"get", "get", "get", "get", "get", "get", "get", "get", "head", "head",
		"head", "head", "head", "head", "put", "put", "patch", "patch", "post", "delete",
	}
	codes := []string{"200", "200", "200", "201", "202", "206", "304", "401", "404", "500"}
	repo := func(i int) string { return fmt.Sprintf("project-%d/image-%d", i/40, i%40) }

	family("imageregistry_build_info", "gauge", "A metric with a constant '1' value labeled by major, minor, git commit & git version from which the image registry was built.")
	sample("imageregistry_build_info", `gitCommit="9f72191",gitVersion="v3.11.0+9f72191",major="3",minor="11+"`, 1)
	family("imageregistry_http_in_flight_requests", "gauge", "A gauge of requests currently being served by the registry.")
	sample("imageregistry_http_in_flight_requests", "", 3)
	family("imageregistry_digest_cache_requests_total", "counter", "Total number of requests without scope to the digest cache.")
	sample("imageregistry_digest_cache_requests_total", `type="Hit"`, 5)
	sample("imageregistry_digest_cache_requests_total", `type="Miss"`, 24)
	family("imageregistry_digest_cache_scoped_requests_total", "counter", "Total number of scoped requests to the digest cache.")
	sample("imageregistry_digest_cache_scoped_requests_total", `type="Hit"`, 33)
	sample("imageregistry_digest_cache_scoped_requests_total", `type="Miss"`, 44)
	family("imageregistry_storage_errors_total", "counter", "The number of errors that occurred during storage operations.")
	for _, c := range []string{"PATH_NOT_FOUND", "READ_ONLY_FILESYSTEM", "DEVICE_OUT_OF_SPACE", "UNKNOWN"} {
		sample("imageregistry_storage_errors_total", `code="`+c+`",operation="GetContent"`, float64(rng.IntN(3)))
	}
	family("go_goroutines", "gauge", "Number of goroutines that currently exist.")
	sample("go_goroutines", "", 93)
	family("go_gc_duration_seconds", "summary", "A summary of the wall-time pause (stop-the-world) duration in garbage collection cycles.")
	summary("go_gc_duration_seconds", "", 0.001)
	family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.")
	sample("process_resident_memory_bytes", "", 5.4321e+07)
	family("promhttp_metric_handler_requests_total", "counter", "Total number of scrapes by HTTP status code.")
	for _, c := range []string{"200", "500", "503"} {
		sample("promhttp_metric_handler_requests_total", `code="`+c+`"`, float64(rng.IntN(100)))
	}

	rest := max(left, 0)
	nReq := rest * 30 / 100
	nDur := rest * 20 / 100 / 5
	nStor := rest * 30 / 100 / 5
	nPull := rest - nReq - 5*nDur - 5*nStor

	family("imageregistry_http_requests_total", "counter", "A counter for requests to the registry.")
	for i := range nReq {
		sample("imageregistry_http_requests_total",
			`code="`+codes[i%len(codes)]+`",method="`+methods[(i/len(codes))%len(methods)]+`",repository="`+repo(i)+`"`,
			float64(rng.IntN(100000)))
	}
	family("imageregistry_http_request_duration_seconds", "summary", "A histogram of latencies for requests to the registry.")
	for i := range nDur {
		summary("imageregistry_http_request_duration_seconds", `method="`+methods[i%len(methods)]+`",repository="`+repo(i)+`"`, 0.05)
	}
	family("imageregistry_storage_duration_seconds", "summary", "Latencies of storage operations.")
	ops := []string{"GetContent", "PutContent", "Stat", "List", "Move", "Delete", "Reader", "Writer", "URLFor", "Walk"}
	for i := range nStor {
		summary("imageregistry_storage_duration_seconds", `operation="`+ops[i%len(ops)]+`",repository="`+repo(i)+`"`, 0.2)
	}
	family("imageregistry_pullthrough_repository_errors_total", "counter", "Total number of errors of a remote repository.")
	pops := []string{"Get", "Stat", "Open", "ServeBlob"}
	for i := range nPull {
		sample("imageregistry_pullthrough_repository_errors_total",
			`code="`+codes[7+i%3]+`",operation="`+pops[(i/3)%len(pops)]+`",registry="registry-`+strconv.Itoa(i/12)+`.example.com"`,
			float64(rng.IntN(50)))
	}
	return bw.Flush()
}
