package metrics

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/oc-registry/oc-registry/pkg/registry"
	"golang.org/x/sync/errgroup"
)

// Path is where the registry serves its metrics.
const Path = "/extensions/v2/metrics"

// Endpoint is one place to scrape: a registry pod through its
// port-forward, or the route host (one replica's view).
type Endpoint struct {
	Pod    string // the pod's name; "" through the route
	Client *registry.Client
}

// ErrDenied is a 401 from the metrics endpoint. OpenShift answers both a
// token that does not authenticate and one without get registry/metrics
// with `Basic realm=openshift,error="access denied"` (auth.go wrapErr),
// so the caller tells them apart by asking the API server.
var ErrDenied = errors.New("the registry refused the metrics request (HTTP 401)")

// ErrNotServed is a 404: the host serves no /extensions/v2/metrics.
var ErrNotServed = errors.New("no metrics endpoint here (HTTP 404)")

// ScrapeError names the pod or host a scrape failed on.
type ScrapeError struct {
	Where string
	Err   error
}

func (e *ScrapeError) Error() string { return fmt.Sprintf("scraping %s: %v", e.Where, e.Err) }
func (e *ScrapeError) Unwrap() error { return e.Err }

// Scrape reads every endpoint at once and parses each exposition with f.
// The first failure cancels the others.
func Scrape(ctx context.Context, eps []Endpoint, f *Filter) ([]*Snapshot, error) {
	out := make([]*Snapshot, len(eps))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i, ep := range eps {
		g.Go(func() error {
			s, err := scrapeOne(ctx, ep, f)
			if err != nil {
				where := ep.Client.Host()
				if ep.Pod != "" {
					where = "pod " + ep.Pod
				}
				return &ScrapeError{Where: where, Err: err}
			}
			out[i] = s
			return nil
		})
	}
	return out, g.Wait()
}

func scrapeOne(ctx context.Context, ep Endpoint, f *Filter) (*Snapshot, error) {
	resp, err := ep.Client.Get(ctx, Path, http.Header{"Accept": {AcceptHeader}})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusUnauthorized, http.StatusForbidden:
		return nil, ErrDenied
	case http.StatusNotFound:
		return nil, ErrNotServed
	default:
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return Parse(resp.Body, ParseOptions{ContentType: resp.Header.Get("Content-Type"), Pod: ep.Pod, Filter: f})
}
