package logs

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/go-logfmt/logfmt"
)

// A registry request line as the OpenShift registry writes it, with the
// quoting logrus applies (host, remoteaddr, useragent, user).
const requestLine = `time="2026-01-01T10:00:00.123456789Z" level=info msg="response completed" go.version=go1.24.4 http.request.host="image-registry.openshift-image-registry.svc:5000" http.request.id=6b1f0c2e-8e3a-4d2b-9f4c-1a2b3c4d5e6f http.request.method=GET http.request.remoteaddr="10.128.2.17:41234" http.request.uri=/v2/p/app/manifests/latest http.request.useragent="cri-o/1.33.2 go/go1.24.4 os/linux arch/amd64" http.response.contenttype=application/vnd.oci.image.manifest.v1+json http.response.duration=3.412907ms http.response.status=200 http.response.written=1234 instance.id=5b0c7f5e-7d44-4f0e-9a8c-2f3a1f0e8c11 openshift.auth.user="system:serviceaccount:ci:builder" openshift.auth.userid=0c9e8d7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f openshift.logger=registry vars.name=p/app vars.reference=latest`

const stampedRequestLine = "2026-01-01T10:00:00.123456789Z " + requestLine

func reportLines(b *testing.B, n int) {
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "lines/s")
}

// The hot path as the engine runs it: kubelet stamp split plus parse, into
// a reused Line.
func BenchmarkParseRequestLine(b *testing.B) {
	line := []byte(stampedRequestLine)
	var l Line
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		l.parse(line)
	}
	if !l.Parsed || len(l.Fields) != 17 {
		b.Fatal("not parsed")
	}
	reportLines(b, b.N)
}

// go-logfmt with a Decoder per line: what pass-through of unparseable lines
// needs, since each line is judged alone.
func BenchmarkParseRequestLineGoLogfmt(b *testing.B) {
	var e Entry
	b.SetBytes(int64(len(requestLine)))
	b.ReportAllocs()
	for b.Loop() {
		if !parseWithGoLogfmt(&e, requestLine) {
			b.Fatal("not parsed")
		}
	}
	reportLines(b, b.N)
}

// go-logfmt at its cheapest: one long-lived Decoder fed line by line.
func BenchmarkParseRequestLineGoLogfmtReused(b *testing.B) {
	f := &feeder{}
	dec := logfmt.NewDecoder(f)
	line := []byte(requestLine + "\n")
	var fields []Field
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		f.b = line
		if !dec.ScanRecord() {
			b.Fatal(dec.Err())
		}
		fields = fields[:0]
		for dec.ScanKeyval() {
			fields = append(fields, Field{string(dec.Key()), string(dec.Value())})
		}
		if dec.Err() != nil {
			b.Fatal(dec.Err())
		}
	}
	reportLines(b, b.N)
}

func genLines(b *testing.B, n int) [][]byte {
	var buf bytes.Buffer
	if err := GenerateCRILines(&buf, n, 1); err != nil {
		b.Fatal(err)
	}
	var out [][]byte
	for l := range bytes.Lines(buf.Bytes()) {
		// The pod log API returns "<stamp> <line>", without the CRI stream
		// and tag fields.
		out = append(out, bytes.Replace(bytes.TrimSuffix(l, []byte("\n")), []byte(" stdout F "), []byte(" "), 1))
	}
	return out
}

// Parse, filter (--level warn) and print JSON: the per-line work of
// `logs --level warn -o json`, without the stream.
func BenchmarkFilterJSON(b *testing.B) {
	lines := genLines(b, 10_000)
	f, err := NewFilter(FilterOptions{Level: "warn"})
	if err != nil {
		b.Fatal(err)
	}
	p := NewPrinter(io.Discard, PrintOptions{Format: OutputJSON})
	var l Line
	l.Pod, l.Container = "image-registry-5d8f9c7b6-x2x9z", "registry"
	n, kept := 0, 0
	b.ReportAllocs()
	for b.Loop() {
		for _, line := range lines {
			l.parse(line)
			if f.Match(&l.Entry) {
				kept++
				if err := p.Print(&l); err != nil {
					b.Fatal(err)
				}
			}
		}
		n += len(lines)
	}
	if kept == 0 || kept == n {
		b.Fatalf("the filter kept %d of %d lines", kept, n)
	}
	reportLines(b, n)
}

// The whole engine over three pods (stream reading, dedup bookkeeping,
// filter, JSON, shared output), as in bench/logs.sh but without the API.
func BenchmarkStreamerJSON(b *testing.B) {
	lines := genLines(b, 30_000)
	var body strings.Builder
	for _, l := range lines {
		body.Write(l)
		body.WriteByte('\n')
	}
	src := &stringSource{body: body.String()}
	f, _ := NewFilter(FilterOptions{Level: "warn"})
	targets := []Target{target("a"), target("b"), target("c")}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		s, err := NewStreamer(Options{Source: src, Printer: NewPrinter(io.Discard, PrintOptions{Format: OutputJSON}), Filter: f})
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Run(context.Background(), targets); err != nil {
			b.Fatal(err)
		}
		n += len(lines) * len(targets)
	}
	reportLines(b, n)
}
