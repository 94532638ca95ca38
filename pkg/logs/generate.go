package logs

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// GenerateLines writes n registry log lines in logrus text format, the way
// the OpenShift registry writes them, for benchmarks and tests. The same
// seed gives the same lines. The mix (by weight): successful requests at
// info, HEAD 404s at info, denied and failed requests at error, access
// denials, warnings, debug lines and outer "response" access lines, across a
// handful of users, repositories and methods.
func GenerateLines(w io.Writer, n int, seed int64) error {
	return generate(w, n, seed, false)
}

// GenerateCRILines writes the same lines as GenerateLines in the CRI
// container log format ("<RFC3339Nano> stdout F <line>"), which kwok serves
// as a pod's log.
func GenerateCRILines(w io.Writer, n int, seed int64) error {
	return generate(w, n, seed, true)
}

var (
	genUsers = []string{"alice", "bob", "carol", "system:serviceaccount:ci:builder", "system:serviceaccount:openshift-image-registry:registry", "kube:admin"}
	genRepos = []string{"p/app", "p/web", "ci/builder", "openshift/cli", "openshift/tools", "team-a/api", "team-b/worker"}
	genRefs  = []string{"latest", "v1", "v1.2.3", "main"}
	genUA    = []string{
		"containers/5.42.1 (github.com/containers/image)",
		"cri-o/1.33.2 go/go1.24.4 os/linux arch/amd64",
		"docker/28.3.2 go/go1.24.5 git-commit/e77ff99 kernel/6.8.0-60-generic os/linux arch/amd64 UpstreamClient(Docker-Client/28.3.2 \\(linux\\))",
		"go-containerregistry/v0.22.1",
		"skopeo/1.18.0",
	}
)

type genState struct {
	r        *rand.Rand
	t        time.Time
	instance string
	buf      []byte
	fields   []Field
}

func generate(w io.Writer, n int, seed int64, cri bool) error {
	g := &genState{
		r: rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15)),
		t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	g.instance = g.uuid()
	bw := bufio.NewWriterSize(w, 64<<10)
	for range n {
		// Requests arrive a fraction of a millisecond apart: many share a
		// second, as they do under load.
		g.t = g.t.Add(time.Duration(g.r.IntN(800_000)) * time.Nanosecond)
		g.buf = g.buf[:0]
		if cri {
			g.buf = g.t.AppendFormat(g.buf, time.RFC3339Nano)
			g.buf = append(g.buf, " stdout F "...)
		}
		g.line()
		g.buf = append(g.buf, '\n')
		if _, err := bw.Write(g.buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

func (g *genState) pick(s []string) string { return s[g.r.IntN(len(s))] }

func (g *genState) hex(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = "0123456789abcdef"[g.r.IntN(16)]
	}
	return string(b)
}

func (g *genState) uuid() string {
	h := g.hex(32)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func (g *genState) add(k, v string) { g.fields = append(g.fields, Field{k, v}) }

// request adds the fields distribution's request logger puts on every line of
// a request.
func (g *genState) request(method, repo, kind string, status int, user bool) {
	ref := g.pick(genRefs)
	uri := "/v2/" + repo + "/manifests/" + ref
	switch kind {
	case "blob":
		ref = "sha256:" + g.hex(64)
		uri = "/v2/" + repo + "/blobs/" + ref
		g.add("vars.digest", ref)
	case "upload":
		uri = "/v2/" + repo + "/blobs/uploads/" + g.uuid()
	default:
		g.add("vars.reference", ref)
	}
	g.add("http.request.host", "image-registry.openshift-image-registry.svc:5000")
	g.add("http.request.id", g.uuid())
	g.add("http.request.method", method)
	g.add("http.request.remoteaddr", fmt.Sprintf("10.128.%d.%d:%d", g.r.IntN(4), 2+g.r.IntN(250), 30000+g.r.IntN(30000)))
	g.add("http.request.uri", uri)
	g.add("http.request.useragent", g.pick(genUA))
	g.add("http.response.duration", strconv.FormatFloat(float64(g.r.IntN(90_000_000))/1e6, 'f', -1, 64)+"ms")
	g.add("http.response.status", strconv.Itoa(status))
	g.add("http.response.written", strconv.Itoa(g.r.IntN(40_000)))
	g.add("vars.name", repo)
	if user {
		g.add("openshift.auth.user", g.pick(genUsers))
		g.add("openshift.auth.userid", g.uuid())
	}
}

func (g *genState) line() {
	g.fields = g.fields[:0]
	g.add("go.version", "go1.24.4")
	g.add("instance.id", g.instance)
	g.add("openshift.logger", "registry")
	repo := g.pick(genRepos)
	var level, msg string
	switch x := g.r.IntN(100); {
	case x < 66: // a request that worked
		level, msg = "info", "response completed"
		method, kind, status := "GET", "manifest", 200
		switch y := g.r.IntN(10); {
		case y < 4:
			kind = "blob"
		case y < 6:
			method = "HEAD"
		case y < 8:
			method, kind, status = "PUT", "manifest", 201
		case y < 9:
			method, kind, status = "PATCH", "upload", 202
		default:
			method, kind, status = "PUT", "upload", 201
		}
		g.request(method, repo, kind, status, true)
	case x < 74: // HEAD of a missing manifest: logged at info
		level, msg = "info", "response completed with error"
		g.request("HEAD", repo, "manifest", 404, true)
		g.add("err.code", "manifest unknown")
		g.add("err.detail", "unknown tag="+g.pick(genRefs))
		g.add("err.message", "manifest unknown")
	case x < 80: // denied or failed
		level, msg = "error", "response completed with error"
		switch g.r.IntN(3) {
		case 0:
			g.request("GET", repo, "manifest", 401, false)
			g.add("err.code", "unauthorized")
			g.add("err.detail", fmt.Sprintf("[map[Action:pull Class: Name:%s Type:repository]]", repo))
			g.add("err.message", "authentication required")
		case 1:
			g.request("PUT", repo, "manifest", 403, true)
			g.add("err.code", "denied")
			g.add("err.message", "requested access to the resource is denied")
		default:
			g.request("GET", repo, "blob", 500, true)
			g.add("err.code", "unknown")
			g.add("err.detail", "filesystem: Path not found: /docker/registry/v2/blobs/sha256/"+g.hex(2))
			g.add("err.message", "unknown error")
		}
	case x < 84:
		level = "error"
		project, _, _ := strings.Cut(repo, "/")
		msg = fmt.Sprintf("OpenShift access denied: user %q cannot get imagestreams/layers in %q", g.pick(genUsers), project)
		g.add("http.request.id", g.uuid())
		g.add("vars.name", repo)
	case x < 92:
		level, msg = "warning", "error authorizing context: authorization token required"
		g.add("http.request.host", "image-registry.openshift-image-registry.svc:5000")
		g.add("http.request.id", g.uuid())
		g.add("http.request.method", "GET")
		g.add("http.request.remoteaddr", "10.128.0.1:41234")
		g.add("http.request.uri", "/v2/")
		g.add("http.request.useragent", g.pick(genUA))
	case x < 97:
		level, msg = "debug", "(*quotaRestrictedBlobStore).Stat: starting"
		g.add("vars.name", repo)
		g.add("vars.digest", "sha256:"+g.hex(64))
	default: // the outer access line: no user, no repository
		level, msg = "info", "response"
		g.add("http.request.method", "GET")
		g.add("http.request.uri", "/v2/")
		g.add("http.response.status", "401")
		g.add("http.response.duration", "1.2ms")
	}
	slices.SortFunc(g.fields, func(a, b Field) int {
		switch {
		case a.Key < b.Key:
			return -1
		case a.Key > b.Key:
			return 1
		}
		return 0
	})
	g.buf = append(g.buf, `time="`...)
	g.buf = g.t.Add(-time.Duration(g.r.IntN(100_000))).AppendFormat(g.buf, time.RFC3339Nano)
	g.buf = append(g.buf, `" level=`...)
	g.buf = append(g.buf, level...)
	g.buf = append(g.buf, " msg="...)
	g.buf = appendLogrusValue(g.buf, msg)
	for _, f := range g.fields {
		g.buf = append(g.buf, ' ')
		g.buf = append(g.buf, f.Key...)
		g.buf = append(g.buf, '=')
		g.buf = appendLogrusValue(g.buf, f.Value)
	}
}

// appendLogrusValue quotes as logrus's TextFormatter does: with %q when
// any byte is outside [A-Za-z0-9-._/@^+], bare otherwise.
func appendLogrusValue(b []byte, v string) []byte {
	for i := range len(v) {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '/' || c == '@' || c == '^' || c == '+') {
			return strconv.AppendQuote(b, v)
		}
	}
	return append(b, v...)
}
