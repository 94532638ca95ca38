package commands

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// completions runs `__complete args...` and returns the offered words and
// the directive line.
func completions(t *testing.T, args ...string) ([]string, string) {
	t.Helper()
	out, _, err := execute("oc-registry", append([]string{"__complete"}, args...)...)
	if err != nil {
		t.Fatalf("__complete %v: %v", args, err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var words []string
	for _, l := range lines[:len(lines)-1] {
		w, _, _ := strings.Cut(l, "\t")
		words = append(words, w)
	}
	return words, lines[len(lines)-1]
}

func TestCompletionWithoutCluster(t *testing.T) {
	tests := []struct {
		args []string
		want []string
		dir  string
	}{
		{[]string{"gr"}, []string{"grant", "grant-builder", "grant-editor", "grant-metrics", "grant-viewer"}, ":4"},
		{[]string{"grant", "e"}, []string{"editor"}, ":4"},
		{[]string{"revoke", "m"}, []string{"metrics"}, ":4"},
		{[]string{"metrics", "imageregistry_storage_e"}, []string{"imageregistry_storage_errors_total"}, ":4"},
		{[]string{"completion", ""}, []string{"bash", "fish", "powershell", "zsh"}, ":4"},
		{[]string{"who-can", ""}, []string{"pull", "push", "metrics"}, ":4"},
		// push SOURCE completes files (directive 0: default)
		{[]string{"push", ""}, nil, ":0"},
	}
	for _, tt := range tests {
		got, dir := completions(t, tt.args...)
		if strings.Join(got, ",") != strings.Join(tt.want, ",") || dir != tt.dir {
			t.Errorf("__complete %q = %v %s, want %v %s", tt.args, got, dir, tt.want, tt.dir)
		}
	}
}

// A TAB must not hang on a cluster that does not answer: completion gives
// up after completionTimeout and offers nothing.
func TestCompletionGivesUpOnADeadCluster(t *testing.T) {
	dir := t.TempDir()
	kc := filepath.Join(dir, "kubeconfig")
	// An API server that accepts connections and never answers.
	l := hangingListener(t)
	cfg := "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://" + l + "', insecure-skip-tls-verify: true}}]\n" +
		"users: [{name: u, user: {token: x}}]\ncontexts: [{name: c, context: {cluster: c, user: u, namespace: mine}}]\ncurrent-context: c\n"
	if err := os.WriteFile(kc, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	got, d := completions(t, "grant", "editor", "alice", "--kubeconfig", kc, "-n", "")
	if took := time.Since(start); took > completionTimeout+3*time.Second {
		t.Errorf("completion took %v", took)
	}
	// The current namespace is still offered: it needs no request.
	if strings.Join(got, ",") != "mine" || d != ":4" {
		t.Errorf("got %v %s, want [mine] :4", got, d)
	}
}

// hangingListener accepts connections and never answers; it returns its
// host:port.
func hangingListener(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}
