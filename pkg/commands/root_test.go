package commands

import (
	"bytes"
	"strings"
	"testing"

	"github.com/oc-registry/oc-registry/pkg/clierr"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

func TestDisplayName(t *testing.T) {
	tests := []struct{ argv0, want string }{
		{"oc-registry", "oc-registry"},
		{"/usr/local/bin/oc-registry", "oc-registry"},
		{"/home/u/.local/bin/kubectl-image_registry", "oc image-registry"},
		{"kubectl-image_registry", "oc image-registry"},
		{`C:\bin\kubectl-image_registry.exe`, "oc-registry"},
		{"kubectl-image_registry.exe", "oc image-registry"},
		{"./some-copy", "oc-registry"},
	}
	for _, tt := range tests {
		if got := DisplayName(tt.argv0); got != tt.want {
			t.Errorf("DisplayName(%q) = %q, want %q", tt.argv0, got, tt.want)
		}
	}
}

func execute(name string, args ...string) (string, string, error) {
	var out, errb bytes.Buffer
	root := NewRootCmd(genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errb}, name)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), errb.String(), err
}

func TestHelpShowsDisplayName(t *testing.T) {
	out, _, err := execute("oc image-registry", "version", "--help")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "oc image-registry version") {
		t.Errorf("help does not use the display name:\n%s", out)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"nope"}, {"--nope"}, {"version", "extra"}, {"version", "-o", "xml"}} {
		_, _, err := execute("oc-registry", args...)
		if clierr.Code(err) != clierr.CodeUsage {
			t.Errorf("%v: code %d (%v), want usage error", args, clierr.Code(err), err)
		}
	}
	_, _, err := execute("oc-registry", "verson")
	if err == nil || !strings.Contains(err.Error(), `did you mean "version"`) {
		t.Errorf("no suggestion for a typo: %v", err)
	}
}

func TestVersionJSON(t *testing.T) {
	out, _, err := execute("oc-registry", "version", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"version"`, `"commit"`, `"goVersion"`} {
		if !strings.Contains(out, k) {
			t.Errorf("version -o json lacks %s: %s", k, out)
		}
	}
}
