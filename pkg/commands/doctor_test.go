package commands

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oc-registry/oc-registry/pkg/clierr"
)

// Without a kubeconfig the report still comes, one line per check, with
// the first failure's fix and exit code.
func TestDoctorWithoutKubeconfig(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	t.Setenv("KUBECONFIG", "")
	missing := filepath.Join(t.TempDir(), "nope")
	out, _, err := execute("oc image-registry", "--kubeconfig", missing, "doctor", "p/app")
	if clierr.Code(err) != clierr.CodeUnauthorized {
		t.Fatalf("code %d (%v)\n%s", clierr.Code(err), err, out)
	}
	lines := strings.Split(out, "\n")
	if !strings.HasPrefix(lines[0], "FAIL  kubeconfig") || !strings.Contains(lines[0], "file not found") || !strings.Contains(lines[1], "fix: log in to the cluster") {
		t.Fatalf("first lines:\n%s", out)
	}
	for _, want := range []string{"skip  token", "skip  registry-host", "skip  reachable", "ok    name", "skip  permission",
		"you cannot push to p/app: kubeconfig \"" + missing + "\": file not found"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}

	out, _, err = execute("oc-registry", "--kubeconfig", missing, "doctor", "p/a/b", "--pull", "-o", "json")
	var rep struct {
		Action string
		OK     bool
		Checks []map[string]any
	}
	if clierr.Code(err) != clierr.CodeUnauthorized || json.Unmarshal([]byte(out), &rep) != nil || rep.Action != "pull" || rep.OK {
		t.Fatalf("doctor -o json: %v\n%s", err, out)
	}
	for _, c := range rep.Checks {
		if _, ok := c["name"]; !ok || c["detail"] == nil || c["ok"] == nil {
			t.Errorf("a check without name, ok and detail: %v", c)
		}
		if c["name"] == "name" && (c["ok"] != false || !strings.Contains(c["fix"].(string), "PROJECT/NAME")) {
			t.Errorf("the three-level name passed: %v", c)
		}
	}
}
