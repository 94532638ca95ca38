//go:build e2e

package e2e

import (
	"strings"
	"testing"
)

// kubectl finds the plugin on PATH, lists it without warnings, and runs it
// with the plugin's display name.
func TestPluginDiscoveryWithKubectl(t *testing.T) {
	home := t.TempDir()
	r := execIn(t, runOpts{home: home}, "kubectl", "plugin", "list")
	if r.code != 0 {
		t.Fatalf("kubectl plugin list: %s", r)
	}
	if !strings.Contains(r.stdout, env.binDir+"/kubectl-image_registry") {
		t.Fatalf("plugin not listed: %s", r)
	}
	if strings.Contains(strings.ToLower(r.stderr), "warning") || strings.Contains(r.stdout, "warning") {
		t.Fatalf("kubectl warns about the plugin: %s", r)
	}
	r = execIn(t, runOpts{home: home}, "kubectl", "image-registry", "version", "-o", "json")
	if r.code != 0 || !strings.Contains(r.stdout, `"version": "v0.0.0-e2e"`) {
		t.Fatalf("kubectl image-registry version: %s", r)
	}
	r = execIn(t, runOpts{home: home}, "kubectl", "image-registry", "--help")
	if r.code != 0 || !strings.Contains(r.stdout, "oc image-registry [command]") {
		t.Fatalf("help as a plugin should show 'oc image-registry': %s", r)
	}
	r = execIn(t, runOpts{home: home}, "kubectl", "image-registry", "nope")
	if r.code != 2 || !strings.HasPrefix(r.stderr, `error: unknown command "nope" for "oc image-registry"`) {
		t.Fatalf("unknown command through kubectl: %s", r)
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	// runOpts{} has no kubeconfig at all: argument errors must not depend
	// on the cluster.
	for _, args := range [][]string{{"nope"}, {"--nope"}, {"version", "--nope"}, {"grant"}, {"who-can", "pull", "push"},
		{"grant", "nosuchrole", "alice"}, {"login", "--username", "a:b"}, {"grant", "editor", "--group", "qa,developers"},
		{"grant", "editor", "alice", "--dry-run", "server"}, {"revoke", "editor", "alice", "-q", "-o", "json"}, {"who-can", "push", "-o", "xml"}} {
		r := ocr(t, runOpts{}, args...)
		if r.code != 2 {
			t.Errorf("%v: %s", args, r)
		}
		if lines := strings.Split(strings.TrimSpace(r.stderr), "\n"); !strings.HasPrefix(lines[0], "error: ") || len(lines) > 2 {
			t.Errorf("%v: want one error line and at most a hint: %q", args, r.stderr)
		}
	}
}
