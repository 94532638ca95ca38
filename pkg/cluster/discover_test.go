package cluster

import (
	"strings"
	"testing"
)

func TestChoose(t *testing.T) {
	full := &Registry{Internal: "image-registry.openshift-image-registry.svc:5000", Public: []string{"registry.apps.example.com"},
		Route: "default-route-openshift-image-registry.apps.example.com", Service: "image-registry.openshift-image-registry.svc:5000", From: "images.config.openshift.io/cluster"}
	up := func(string) bool { return true }
	down := func(string) bool { return false }
	tests := []struct {
		name      string
		r         *Registry
		prefer    string
		reachable func(string) bool
		want      string
		wantErr   string
	}{
		{"public when it answers", full, "", up, "registry.apps.example.com", ""},
		{"internal when public does not answer", full, "", down, "image-registry.openshift-image-registry.svc:5000", ""},
		{"--internal", full, "internal", up, "image-registry.openshift-image-registry.svc:5000", ""},
		{"--public even if down", full, "public", down, "registry.apps.example.com", ""},
		{"route when no image config", &Registry{Route: "r.apps", Service: "s:5000"}, "", up, "r.apps", ""},
		{"service last", &Registry{Service: "s:5000"}, "", up, "s:5000", ""},
		{"--public without one", &Registry{Service: "s:5000"}, "public", up, "", "no public registry host"},
		{"nothing at all", &Registry{}, "", up, "", "no registry found"},
	}
	for _, tt := range tests {
		c, err := tt.r.Choose(tt.prefer, tt.reachable)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: err %v, want %q", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil || c.Host != tt.want || c.Source == "" {
			t.Errorf("%s: got %+v %v, want %s", tt.name, c, err, tt.want)
		}
	}
}

func TestCAKey(t *testing.T) {
	if got := CAKey("image-registry.openshift-image-registry.svc:5000"); got != "image-registry.openshift-image-registry.svc..5000" {
		t.Fatal(got)
	}
}
