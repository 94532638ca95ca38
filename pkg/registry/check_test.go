package registry

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const good = "good-token"

// fakeRegistry answers like OpenShift's registry: a Bearer challenge, a
// token realm taking Basic credentials, and /v2/ with the bearer token.
func fakeRegistry(t *testing.T, scheme string) *httptest.Server {
	var srv *httptest.Server
	srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Docker-Distribution-Api-Version", "registry/2.0")
		switch r.URL.Path {
		case "/openshift/token":
			if _, p, ok := r.BasicAuth(); !ok || p != good {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			json.NewEncoder(w).Encode(map[string]string{"token": good})
		case "/v2/":
			_, p, basic := r.BasicAuth()
			switch {
			case scheme == "basic" && basic && p == good, r.Header.Get("Authorization") == "Bearer "+good:
				w.WriteHeader(http.StatusOK)
			case scheme == "basic":
				w.Header().Set("WWW-Authenticate", `Basic realm="registry"`)
				w.WriteHeader(http.StatusUnauthorized)
			default:
				w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="%s/openshift/token",service="reg"`, srv.URL))
				w.WriteHeader(http.StatusUnauthorized)
			}
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func trusting(srv *httptest.Server) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(srv.Certificate())
	return p
}

func hostOf(srv *httptest.Server) string { return strings.TrimPrefix(srv.URL, "https://") }

func cause(err error) Cause {
	if err == nil {
		return "ok"
	}
	if c := CauseOf(err); c != CauseOther {
		return c
	}
	return Cause("other: " + err.Error())
}

func TestCheck(t *testing.T) {
	bearer := fakeRegistry(t, "bearer")
	basic := fakeRegistry(t, "basic")
	notReg := httptest.NewTLSServer(http.NotFoundHandler())
	defer notReg.Close()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	ln.Close()

	tests := []struct {
		name     string
		roots    *x509.CertPool
		insecure bool
		host     string
		token    string
		want     Cause
	}{
		{"bearer flow", trusting(bearer), false, hostOf(bearer), good, "ok"},
		{"bearer flow, bad token", trusting(bearer), false, hostOf(bearer), "bad", CauseUnauthorized},
		{"basic", trusting(basic), false, hostOf(basic), good, "ok"},
		{"basic, bad token", trusting(basic), false, hostOf(basic), "bad", CauseUnauthorized},
		{"untrusted certificate", nil, false, hostOf(bearer), good, CauseTLS},
		{"insecure skips verification", nil, true, hostOf(bearer), good, "ok"},
		{"nothing listening", nil, false, dead, good, CauseUnreachable},
		{"not a registry", trusting(notReg), false, hostOf(notReg), good, CauseNotRegistry},
	}
	for _, tt := range tests {
		c, err := New(Config{Host: tt.host, Username: "anyone", Secret: tt.token, Roots: tt.roots, Insecure: tt.insecure, Timeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		err = c.Check(context.Background())
		if got := cause(err); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), tt.token) {
			t.Errorf("%s: token in error: %v", tt.name, err)
		}
	}
}

func TestParseChallenge(t *testing.T) {
	s, p := ParseChallenge(`Bearer realm="https://r/openshift/token",service="x, y",scope=repo`)
	if s != "bearer" || p["realm"] != "https://r/openshift/token" || p["service"] != "x, y" || p["scope"] != "repo" {
		t.Fatalf("got %q %v", s, p)
	}
	if s, _ := ParseChallenge(`Basic realm="registry"`); s != "basic" {
		t.Fatalf("basic: %q", s)
	}
}
