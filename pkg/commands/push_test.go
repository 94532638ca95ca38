package commands

import (
	"errors"
	"strings"
	"testing"

	"github.com/oc-registry/oc-registry/pkg/clierr"
)

// A 401 from the registry is a missing or stale login, unless the cluster
// has just approved the very token the push sent: then it is a denial.
func TestExplainPushUnauthorized(t *testing.T) {
	err := errors.New("checking blob sha256:aa: authentication required")
	for _, tt := range []struct {
		name string
		f    imageFlags
		code int
	}{
		{"no auth-file identity", imageFlags{}, clierr.CodeUnauthorized},
		{"foreign entry, check skipped", imageFlags{skip: "foreign"}, clierr.CodeUnauthorized},
		{"approved auth-file token", imageFlags{fromAuthFile: true}, clierr.CodeForbidden},
		{"approved token, --no-preflight", imageFlags{fromAuthFile: true, NoPreflight: true}, clierr.CodeUnauthorized},
	} {
		if got := clierr.Code(tt.f.explainPush(err)); got != tt.code {
			t.Errorf("%s: exit %d, want %d", tt.name, got, tt.code)
		}
	}
}

// Hints name the command as the user runs it (krew users have only
// "kubectl image-registry").
func TestPushHintsUseTheDisplayName(t *testing.T) {
	f := imageFlags{name: "kubectl image-registry"}
	var ce *clierr.Error
	if err := f.explainPush(errors.New("authentication required")); !errors.As(err, &ce) || !strings.Contains(ce.Hint, "kubectl image-registry login") || strings.Contains(ce.Hint, "oc-registry") {
		t.Fatalf("hint: %v", err)
	}
}
