package cluster

import (
	"context"
	"strings"

	"github.com/oc-registry/oc-registry/pkg/registry"
	"k8s.io/client-go/dynamic"
	coreclient "k8s.io/client-go/kubernetes/typed/core/v1"
)

// Find reads the cluster's records (Lookup, namespace first for image
// streams) and chooses a host among them (Choose).
func Find(ctx context.Context, dyn dynamic.Interface, core coreclient.CoreV1Interface, namespace, prefer string, reachable func(string) bool) (*Registry, Choice, error) {
	reg, err := Lookup(ctx, dyn, core, namespace)
	if err != nil {
		return nil, Choice{}, err
	}
	c, err := reg.Choose(prefer, reachable)
	return reg, c, err
}

// LastLogin is the choice for a command that sends stored credentials
// without --registry, --internal or --public: the host login last wrote
// for this API server (last), when the auth file still has credentials for
// it (has). ok is false when that does not apply.
func LastLogin(last string, has func(host string) bool) (Choice, bool) {
	if last == "" || registry.ValidateHost(last, "") != nil || !has(last) {
		return Choice{}, false
	}
	return Choice{Host: last, Source: "your last login"}, true
}

// WithCredentials is the host to send stored credentials to: c when the
// auth file has credentials for it (has), else another of the registry's
// hosts that has them (the user logged in to the internal name while the
// public one answers, say), else c.
func (r *Registry) WithCredentials(c Choice, has func(host string) bool) Choice {
	if has(c.Host) {
		return c
	}
	for _, h := range r.Hosts() {
		if h != c.Host && has(h) {
			return Choice{Host: h, Source: "the registry host you logged in to"}
		}
	}
	return c
}

// Hosts lists every name the registry answers to, as the cluster states
// them.
func (r *Registry) Hosts() []string {
	var out []string
	for _, h := range append(append([]string{r.Internal}, r.Public...), r.Route, r.Service) {
		if h != "" {
			out = append(out, h)
		}
	}
	return out
}

// Has reports whether host is one of the registry's names (host names
// compare without case).
func (r *Registry) Has(host string) bool {
	for _, h := range r.Hosts() {
		if strings.EqualFold(h, host) {
			return true
		}
	}
	return false
}
