package commands

import (
	"strings"
	"testing"

	"github.com/oc-registry/oc-registry/pkg/clierr"
)

// noKubeconfig leaves the process without any kubeconfig: none in
// $KUBECONFIG, none in ~/.kube.
func noKubeconfig(t *testing.T) {
	t.Setenv("KUBECONFIG", "")
	t.Setenv("HOME", t.TempDir())
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
}

// Usage errors do not depend on the cluster: with no kubeconfig at all, a
// bad argument is still exit 2, and a good one is "no cluster" (exit 3).
func TestUsageErrorsWinWithoutAKubeconfig(t *testing.T) {
	noKubeconfig(t)
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"grant", "nosuchrole", "alice"}, clierr.CodeUsage, `unknown role "nosuchrole"`},
		{[]string{"revoke", "nosuchrole", "alice"}, clierr.CodeUsage, `unknown role "nosuchrole"`},
		{[]string{"grant", "editor", "alice", "--dry-run=maybe"}, clierr.CodeUsage, "invalid --dry-run"},
		{[]string{"grant", "editor", "alice", "-o", "xml"}, clierr.CodeUsage, "unknown output format"},
		{[]string{"grant", "editor", "alice", "--role", "x"}, clierr.CodeUsage, "--role applies to 'grant metrics' only"},
		{[]string{"who-can", "delete"}, clierr.CodeUsage, "unknown permission"},
		{[]string{"can-i", "metrics", "app"}, clierr.CodeUsage, "metrics takes no STREAM"},
		{[]string{"login", "--username", "a:b"}, clierr.CodeUsage, "contains a colon"},
		{[]string{"login", "-z", "a:b:c"}, clierr.CodeUsage, "invalid service account"},
		{[]string{"login", "--internal", "--public"}, clierr.CodeUsage, "mutually exclusive"},
		{[]string{"logout", "-o", "xml"}, clierr.CodeUsage, "unknown output format"},
		{[]string{"info", "--timeout", "0s"}, clierr.CodeUsage, "--timeout must be positive"},
		{[]string{"token", "-z", "ci:bot", "--duration", "1m"}, clierr.CodeUsage, "too short"},
		{[]string{"grant", "editor", "alice"}, clierr.CodeUnauthorized, "no cluster configured"},
		{[]string{"login"}, clierr.CodeUnauthorized, "no cluster configured"},
	}
	for _, tt := range tests {
		_, _, err := execute("oc-registry", tt.args...)
		if clierr.Code(err) != tt.code || err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: exit %d (%v), want %d and %q", tt.args, clierr.Code(err), err, tt.code, tt.want)
		}
	}
}
