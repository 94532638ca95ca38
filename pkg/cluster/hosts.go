package cluster

import "strings"

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
