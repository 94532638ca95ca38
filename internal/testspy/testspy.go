// Package testspy is an HTTP(S) server for tests that records every
// request and Authorization header it sees, to show where credentials
// went: the hostile-registry unit tests and the end-to-end security tests
// both use it.
package testspy

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// Server records "METHOD /path" and the Authorization header of every
// request, then hands it to its handler.
type Server struct {
	*httptest.Server
	mu       sync.Mutex
	requests []string
	auths    []string
}

// New starts a Server (TLS when tls is true), closed when the test ends.
func New(t testing.TB, tls bool, h http.HandlerFunc) *Server {
	s := &Server{}
	record := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests = append(s.requests, r.Method+" "+r.URL.Path)
		s.auths = append(s.auths, r.Header.Get("Authorization"))
		s.mu.Unlock()
		h(w, r)
	})
	if tls {
		s.Server = httptest.NewTLSServer(record)
	} else {
		s.Server = httptest.NewServer(record)
	}
	t.Cleanup(s.Close)
	return s
}

// Host is the server's host:port.
func (s *Server) Host() string { u, _ := url.Parse(s.URL); return u.Host }

// Requests are the requests seen so far, as "METHOD /path".
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

// Auths are the Authorization headers seen so far, "" for none.
func (s *Server) Auths() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.auths...)
}

// SawToken reports whether any request carried token, bare or inside
// Basic credentials.
func (s *Server) SawToken(token string) bool {
	for _, a := range s.Auths() {
		if a == "" {
			continue
		}
		b, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(a, "Basic "))
		if strings.Contains(a, token) || strings.Contains(string(b), token) {
			return true
		}
	}
	return false
}
