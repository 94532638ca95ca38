package cluster

import "testing"

func TestLastLogin(t *testing.T) {
	has := func(h string) bool { return h == "registry.apps.example.com" }
	if c, ok := LastLogin("registry.apps.example.com", has); !ok || c.Host != "registry.apps.example.com" || c.Source != "your last login" {
		t.Errorf("recorded host with credentials: %+v %v", c, ok)
	}
	for _, last := range []string{"", "other.example.com", "bad host/"} {
		if c, ok := LastLogin(last, func(string) bool { return true }); ok && last != "other.example.com" {
			t.Errorf("LastLogin(%q) = %+v: want no choice", last, c)
		}
	}
	if _, ok := LastLogin("other.example.com", has); ok {
		t.Error("a recorded host without credentials in the file was chosen")
	}
}

func TestWithCredentials(t *testing.T) {
	r := &Registry{Internal: "image-registry.openshift-image-registry.svc:5000", Route: "default-route.apps.example.com"}
	public := Choice{Host: "default-route.apps.example.com", Source: "route"}
	tests := []struct {
		name  string
		creds []string
		want  string
	}{
		{"the choice has credentials", []string{"default-route.apps.example.com", "image-registry.openshift-image-registry.svc:5000"}, "default-route.apps.example.com"},
		{"only the internal name has them", []string{"image-registry.openshift-image-registry.svc:5000"}, "image-registry.openshift-image-registry.svc:5000"},
		{"none has them", nil, "default-route.apps.example.com"},
	}
	for _, tt := range tests {
		has := func(h string) bool {
			for _, c := range tt.creds {
				if c == h {
					return true
				}
			}
			return false
		}
		if got := r.WithCredentials(public, has); got.Host != tt.want {
			t.Errorf("%s: %+v, want %s", tt.name, got, tt.want)
		}
	}
}
