//go:build e2e

package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// marked sends unauthenticated GETs whose URI carries marker-N, through
// the route (spread over both replicas); each writes one msg=response line.
func marked(t *testing.T, marker string, from, to int) {
	t.Helper()
	c := caClient(t)
	c.Transport.(*http.Transport).DisableKeepAlives = true // a connection each: the front spreads them
	for i := from; i < to; i++ {
		resp, err := c.Get(fmt.Sprintf("https://%s/v2/?%s-%d", env.registry, marker, i))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

func TestLogsFiltersOnRealRequests(t *testing.T) {
	ns := newProject(t, "logs")
	mustOCR(t, "admin", "grant", "editor", "alice", "-n", ns)
	mustOCR(t, "admin", "grant", "editor", "bob", "-n", ns)
	since := time.Now().Add(-2 * time.Second).UTC().Format(time.RFC3339)
	src, _ := ociImage(t, seedFor(t))
	if r := skopeoPush(t, "bob", src, ns+"/app:v1"); r.code != 0 {
		t.Fatalf("push as bob: %s", r)
	}
	if r := skopeo(t, "inspect", "--authfile", authFile(t, "alice"), "--cert-dir", certDir(t), "docker://"+env.registry+"/"+ns+"/app:v1"); r.code != 0 {
		t.Fatalf("pull as alice: %s", r)
	}
	if r := skopeo(t, "inspect", "--authfile", authFile(t, "carol"), "--cert-dir", certDir(t), "docker://"+env.registry+"/"+ns+"/app:v1"); r.code == 0 {
		t.Fatalf("carol holds no role and must not pull: %s", r)
	}

	// alice's pull is there, bob's push is not.
	r := ocr(t, runOpts{user: "admin"}, "logs", "--since-time", since, "--repo", ns+"/app", "--user", "alice", "-o", "json")
	if r.code != 0 {
		t.Fatalf("logs --repo --user: %s", r)
	}
	lines := jsonLines(t, r.stdout)
	if len(lines) == 0 {
		t.Fatalf("no line for alice's pull of %s/app: %s", ns, r)
	}
	for _, l := range lines {
		if l["openshift.auth.user"] != "alice" || l["vars.name"] != ns+"/app" || !strings.HasPrefix(l["pod"], "image-registry-") {
			t.Fatalf("a line not alice's on %s/app: %v", ns, l)
		}
	}
	r = ocr(t, runOpts{user: "admin"}, "logs", "--since-time", since, "--repo", ns+"/*", "--user", "bob", "--method", "put")
	if r.code != 0 || !strings.Contains(r.stdout, "openshift.auth.user=bob") {
		t.Fatalf("bob's push should show for --user bob: %s", r)
	}
	r = ocr(t, runOpts{user: "admin"}, "logs", "--since-time", since, "--repo", ns+"/app", "--user", "alice", "--method", "put")
	if r.code != 0 || strings.TrimSpace(r.stdout) != "" {
		t.Fatalf("alice pushed nothing, yet: %s", r)
	}

	// carol's denied request, by status.
	r = ocr(t, runOpts{user: "admin"}, "logs", "--since-time", since, "--status", "4xx", "--grep", "^response$", "-o", "json")
	found := false
	for _, l := range jsonLines(t, r.stdout) {
		if !strings.HasPrefix(l["http.response.status"], "4") {
			t.Fatalf("--status 4xx let through %v", l)
		}
		if strings.Contains(l["http.request.uri"], ns+"/app") {
			found = true
		}
	}
	if r.code != 0 || !found {
		t.Fatalf("carol's denied request is not in --status 4xx: %s", r)
	}

	// --level error: only errors (the denial is logged as one).
	r = ocr(t, runOpts{user: "admin"}, "logs", "--since-time", since, "--level", "error", "-o", "json")
	errs := jsonLines(t, r.stdout)
	if r.code != 0 || len(errs) == 0 {
		t.Fatalf("--level error: %s", r)
	}
	for _, l := range errs {
		if l["level"] != "error" && l["level"] != "fatal" && l["level"] != "panic" {
			t.Fatalf("--level error let through %v", l)
		}
	}
}

func jsonLines(t *testing.T, out string) []map[string]string {
	t.Helper()
	var lines []map[string]string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		m := map[string]string{}
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not a JSON line: %q: %v", line, err)
		}
		lines = append(lines, m)
	}
	return lines
}

// follower runs logs -f and collects its stdout lines.
type follower struct {
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []string
	errb  strings.Builder
	done  chan struct{}
}

func follow(t *testing.T, args ...string) *follower {
	t.Helper()
	f := &follower{done: make(chan struct{})}
	f.cmd = exec.Command(env.bin, append([]string{"logs", "-f", "--tail", "0"}, args...)...)
	f.cmd.Env = sealedEnv(t.TempDir(), "admin")
	out, _ := f.cmd.StdoutPipe()
	f.cmd.Stderr = &f.errb
	if err := f.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(f.done)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			f.mu.Lock()
			f.lines = append(f.lines, sc.Text())
			f.mu.Unlock()
		}
	}()
	t.Cleanup(func() { f.cmd.Process.Kill() })
	time.Sleep(2 * time.Second) // the streams are open
	return f
}

// count is how many lines hold s.
func (f *follower) count(s string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, l := range f.lines {
		if strings.Contains(l, s) {
			n++
		}
	}
	return n
}

// stop sends Ctrl-C and wants exit 0.
func (f *follower) stop(t *testing.T) {
	t.Helper()
	f.cmd.Process.Signal(os.Interrupt)
	err := f.cmd.Wait()
	<-f.done
	if err != nil {
		t.Fatalf("logs -f after Ctrl-C: %v (want exit 0): %s", err, f.errb.String())
	}
}

// waitCount waits until every marker-i in [from,to) shows, then checks
// each shows exactly once.
func (f *follower) waitCount(t *testing.T, marker string, from, to int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		missing := 0
		for i := from; i < to; i++ {
			if f.count(fmt.Sprintf("%s-%d\"", marker, i)) == 0 {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d lines of %s never arrived; stderr: %s", missing, to-from, marker, f.errb.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	for i := from; i < to; i++ {
		if n := f.count(fmt.Sprintf("%s-%d\"", marker, i)); n != 1 {
			t.Fatalf("%s-%d shows %d times", marker, i, n)
		}
	}
}

func TestLogsFollowNewLinesBothPodsAndNewPods(t *testing.T) {
	marker := fmt.Sprintf("follow%d", time.Now().UnixNano())
	f := follow(t, "--grep", "^response$")
	marked(t, marker, 0, 20)
	f.waitCount(t, marker, 0, 20)
	pods := map[string]bool{}
	f.mu.Lock()
	for _, l := range f.lines {
		if strings.Contains(l, marker) {
			pods[strings.Fields(l)[0]] = true
		}
	}
	f.mu.Unlock()
	if len(pods) != 2 {
		t.Fatalf("lines came from %v, want both registry pods", pods)
	}

	// A pod created while following (a rollout) is picked up.
	spare, logFile := env.sparePod, env.spareLog
	pod := fmt.Sprintf(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":%q,"namespace":"openshift-image-registry","labels":{"docker-registry":"default"}},
"spec":{"nodeName":"kwok-node-0","automountServiceAccountToken":false,"containers":[{"name":"registry","image":"quay.io/openshift/origin-docker-registry:local"}]}}`, spare)
	mustKubectlIn(t, pod, "apply", "-f", "-")
	t.Cleanup(func() {
		kubectl(t, "admin", "delete", "pod", spare, "-n", "openshift-image-registry", "--grace-period=0", "--force")
	})
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(f.errb.String(), spare) && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond)
	line := fmt.Sprintf(`%s stdout F time="%s" level=info msg=response http.request.uri="/v2/?%s-spare " http.response.status=401`+"\n",
		time.Now().UTC().Format(time.RFC3339Nano), time.Now().UTC().Format(time.RFC3339Nano), marker)
	lf, err := os.OpenFile(logFile, os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	lf.WriteString(line)
	lf.Close()
	deadline = time.Now().Add(20 * time.Second)
	for f.count(marker+"-spare") == 0 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	if f.count(marker+"-spare") != 1 {
		t.Fatalf("the line of the pod created after start did not show once; stderr: %s", f.errb.String())
	}
	f.stop(t)
}

func mustKubectlIn(t *testing.T, stdin string, args ...string) {
	t.Helper()
	if r := execIn(t, runOpts{user: "admin", stdin: stdin}, "kubectl", args...); r.code != 0 {
		t.Fatalf("kubectl %v: %s", args, r)
	}
}

// No loss, no repeat: a registry process restarts, and separately every
// log stream is cut (kwok restarts); every request line written meanwhile
// shows exactly once.
func TestLogsFollowWithoutLossAcrossRestarts(t *testing.T) {
	marker := fmt.Sprintf("noloss%d", time.Now().UnixNano())
	f := follow(t, "--grep", "^response$")

	marked(t, marker, 0, 10)
	cluster(t, "stop-registry 0")
	marked(t, marker, 10, 20) // the front sends them all to the other replica
	cluster(t, "start-registry")
	marked(t, marker, 20, 30)
	f.waitCount(t, marker, 0, 30)

	marked(t, marker, 30, 40)
	cluster(t, "restart-kwok")
	marked(t, marker, 40, 60)
	f.waitCount(t, marker, 0, 60)
	f.stop(t)
}

func TestLogsBadInput(t *testing.T) {
	tests := []struct {
		name string
		user string
		args []string
		code int
		want string
	}{
		{"no registry pods here", "admin", []string{"logs", "-n", "default"}, 1, "no registry pods"},
		{"forbidden pods", "alice", []string{"logs"}, 4, "pods"},
		{"bad regex", "admin", []string{"logs", "--grep", "("}, 2, "--grep"},
		{"bad since", "admin", []string{"logs", "--since", "yesterday"}, 2, "--since"},
		{"bad status", "admin", []string{"logs", "--status", "9xz"}, 2, "--status"},
	}
	for _, tt := range tests {
		r := ocr(t, runOpts{user: tt.user}, tt.args...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.want) || r.stdout != "" {
			t.Errorf("%s: want exit %d and %q: %s", tt.name, tt.code, tt.want, r)
		}
		if lines := strings.Split(strings.TrimSpace(r.stderr), "\n"); len(lines) > 2 || !strings.HasPrefix(lines[0], "error: ") {
			t.Errorf("%s: want one error line (and a hint): %q", tt.name, r.stderr)
		}
	}
}
