//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The parts are real: RBAC decides, tokens identify.
func TestClusterRBACIsReal(t *testing.T) {
	ns := newProject(t, "rbac")
	r := kubectl(t, "alice", "get", "configmaps", "-n", ns)
	if r.code == 0 || !strings.Contains(r.stderr, "Forbidden") {
		t.Fatalf("alice without a binding should be Forbidden: %s", r)
	}
	// A Role of our own: the built-in view role is aggregated by the
	// controller-manager, which this cluster does not run.
	mustKubectl(t, "admin", "create", "role", "cm-reader", "--verb=get,list", "--resource=configmaps", "-n", ns)
	mustKubectl(t, "admin", "create", "rolebinding", "alice-cm", "--role=cm-reader", "--user=alice", "-n", ns)
	waitUntil(t, 10*time.Second, func() bool { return kubectl(t, "alice", "get", "configmaps", "-n", ns).code == 0 })

	review := fmt.Sprintf(`{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":%q}}`, env.tokens["alice"])
	r = execIn(t, runOpts{user: "admin", stdin: review}, "kubectl", "create", "-f", "-", "-o", "jsonpath={.status.user.username}")
	if r.code != 0 || r.stdout != "alice" {
		t.Fatalf("TokenReview of alice's token: %s", r)
	}
}

// Registry auth is OpenShift's: token as password, RBAC per request,
// exactly <project>/<name>.
func TestRegistryAuthIsOpenShifts(t *testing.T) {
	ns := newProject(t, "auth")
	src, dgst := ociImage(t, seedFor(t))

	r := skopeoPush(t, "alice", src, ns+"/app:v1")
	if r.code == 0 || !strings.Contains(r.stderr, "authentication required") {
		t.Fatalf("push without a role should be refused: %s", r)
	}
	mustKubectl(t, "admin", "create", "rolebinding", "alice-editor", "--clusterrole=registry-editor", "--user=alice", "-n", ns)
	if r = skopeoPush(t, "alice", src, ns+"/app:v1"); r.code != 0 {
		t.Fatalf("push with registry-editor: %s", r)
	}
	r = skopeo(t, "inspect", "--authfile", authFile(t, "alice"), "--cert-dir", certDir(t), "--format", "{{.Digest}}", "docker://"+env.registry+"/"+ns+"/app:v1")
	if r.code != 0 || strings.TrimSpace(r.stdout) != dgst {
		t.Fatalf("inspect after push: want %s: %s", dgst, r)
	}
	is := mustKubectl(t, "admin", "get", "imagestreams.image.openshift.io", "app", "-n", ns, "-o", "jsonpath={.status.tags[0].tag} {.status.tags[0].items[0].image}")
	if is != "v1 "+dgst {
		t.Fatalf("ImageStream after push: got %q, want tag v1 at %s", is, dgst)
	}
	for _, bad := range []string{ns + "/a/b", "single"} {
		if r = skopeoPush(t, "alice", src, bad+":v1"); r.code == 0 {
			t.Fatalf("push to %q should be refused: %s", bad, r)
		}
	}
	if r = skopeoPush(t, "bob", src, ns+"/app:v2"); r.code == 0 {
		t.Fatalf("bob holds no role in %s and must not push: %s", ns, r)
	}
}

func TestRegistryMetricsNeedTheRole(t *testing.T) {
	client := caClient(t)
	if code, body := scrape(t, client, "carol"); !accessDenied(code, body) {
		t.Fatalf("carol without registry/metrics: HTTP %d %s, want 401 access denied", code, body)
	}
	if code, body := scrapeWith(t, client, ""); code != http.StatusUnauthorized || !strings.Contains(body, "WWW-Authenticate: Bearer realm=") {
		t.Fatalf("anonymous scrape: HTTP %d %s, want 401 with the token realm", code, body)
	}
	binding := "e2e-carol-metrics"
	mustKubectl(t, "admin", "create", "clusterrolebinding", binding, "--clusterrole=registry-monitoring", "--user=carol")
	t.Cleanup(func() { kubectl(t, "admin", "delete", "clusterrolebinding", binding) })
	var code int
	var body string
	waitUntil(t, 10*time.Second, func() bool { code, body = scrape(t, client, "carol"); return code == 200 })
	before := sumRequests(body)

	ns := newProject(t, "metrics")
	mustKubectl(t, "admin", "create", "rolebinding", "alice-editor", "--clusterrole=registry-editor", "--user=alice", "-n", ns)
	src, _ := ociImage(t, seedFor(t))
	if r := skopeoPush(t, "alice", src, ns+"/app:v1"); r.code != 0 {
		t.Fatalf("push: %s", r)
	}
	if r := skopeo(t, "inspect", "--authfile", authFile(t, "alice"), "--cert-dir", certDir(t), "docker://"+env.registry+"/"+ns+"/app:v1"); r.code != 0 {
		t.Fatalf("pull (inspect): %s", r)
	}
	_, body = scrape(t, client, "carol")
	after := sumRequests(body)
	if after <= before {
		t.Fatalf("imageregistry_http_requests_total did not grow: %v -> %v", before, after)
	}
	for _, fam := range []string{"imageregistry_build_info", "imageregistry_http_request_duration_seconds", "imageregistry_http_in_flight_requests",
		"imageregistry_digest_cache_requests_total", "imageregistry_storage_duration_seconds", "go_goroutines", "process_resident_memory_bytes"} {
		if !strings.Contains(body, "\n"+fam) {
			t.Errorf("metrics lack %s", fam)
		}
	}
}

// kubectl logs shows the registry's real request lines.
func TestRegistryLogsThroughKubectl(t *testing.T) {
	ns := newProject(t, "logs")
	mustKubectl(t, "admin", "create", "rolebinding", "alice-editor", "--clusterrole=registry-editor", "--user=alice", "-n", ns)
	src, _ := ociImage(t, seedFor(t))
	if r := skopeoPush(t, "alice", src, ns+"/logged:v1"); r.code != 0 {
		t.Fatalf("push: %s", r)
	}
	want := regexp.MustCompile(`openshift.auth.user=alice .*vars.name="?` + regexp.QuoteMeta(ns+"/logged"))
	var out string
	waitUntil(t, 10*time.Second, func() bool {
		out = mustKubectl(t, "admin", "logs", "-n", "openshift-image-registry", "deploy/image-registry")
		return want.MatchString(out)
	})
	if !strings.Contains(out, `msg="response completed"`) {
		t.Errorf("no response lines in the pod log")
	}
}

// kubectl logs -f streams new registry lines as they are written.
func TestRegistryLogsFollow(t *testing.T) {
	ns := newProject(t, "follow")
	mustKubectl(t, "admin", "create", "rolebinding", "alice-editor", "--clusterrole=registry-editor", "--user=alice", "-n", ns)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "kubectl", "logs", "-f", "--tail=1", "-n", "openshift-image-registry", "deploy/image-registry")
	cmd.Env = sealedEnv(t.TempDir(), "admin")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); cmd.Wait() }()
	found := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if strings.Contains(sc.Text(), ns+"/followed") {
				found <- true
				return
			}
		}
		found <- false
	}()
	time.Sleep(time.Second) // let the stream start before the request
	src, _ := ociImage(t, seedFor(t))
	if r := skopeoPush(t, "alice", src, ns+"/followed:v1"); r.code != 0 {
		t.Fatalf("push: %s", r)
	}
	select {
	case ok := <-found:
		if !ok {
			t.Fatal("the followed log ended without the new request")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("kubectl logs -f did not show the new request within 30s")
	}
}

func waitUntil(t *testing.T, d time.Duration, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s", d)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func caClient(t *testing.T) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(env.caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

func scrape(t *testing.T, c *http.Client, user string) (int, string) {
	return scrapeWith(t, c, env.tokens[user])
}

func scrapeWith(t *testing.T, c *http.Client, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "https://"+env.registry+"/extensions/v2/metrics", nil)
	if token != "" {
		req.SetBasicAuth("anything", token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("scrape: %v", redact(err.Error()))
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, "WWW-Authenticate: " + resp.Header.Get("WWW-Authenticate") + "\n" + string(b)
	}
	return resp.StatusCode, string(b)
}

// accessDenied is OpenShift's answer to a token without get registry/metrics:
// 401 with `Basic realm=openshift,error="access denied"` (auth.go wrapErr).
func accessDenied(code int, body string) bool {
	return code == http.StatusUnauthorized && strings.Contains(body, `WWW-Authenticate: Basic realm=openshift,error="access denied"`)
}

func sumRequests(body string) float64 {
	var sum float64
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "imageregistry_http_requests_total{") {
			f := strings.Fields(line)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			sum += v
		}
	}
	return sum
}
