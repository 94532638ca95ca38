package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/oc-registry/oc-registry/pkg/auth"
	"github.com/oc-registry/oc-registry/pkg/clierr"
	"github.com/oc-registry/oc-registry/pkg/cluster"
	"github.com/oc-registry/oc-registry/pkg/kube"
	"github.com/oc-registry/oc-registry/pkg/metrics"
	"github.com/oc-registry/oc-registry/pkg/registry"
	"github.com/spf13/cobra"
	"golang.org/x/term"
	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// MetricsOptions scrapes the registry's metrics.
type MetricsOptions struct {
	registryTarget
	All      bool
	Labels   string
	Types    string
	ByPod    bool
	ViaRoute bool
	Summary  bool
	FailOn   string
	Watch    time.Duration
	Interval time.Duration
	Samples  int
	Output   string
	CAFile   string
	Timeout  time.Duration

	name       string // the tool's display name, for the grant hint
	patterns   []string
	filter     *metrics.Filter
	types      []metrics.Type
	thresholds []metrics.Threshold
	clients    *kube.Clients
	genericiooptions.IOStreams
}

// NewCmdMetrics builds `metrics`.
func NewCmdMetrics(fac Factory, streams genericiooptions.IOStreams, name string) *cobra.Command {
	o := &MetricsOptions{IOStreams: streams, name: name}
	cmd := &cobra.Command{
		Use:   "metrics [FAMILY-REGEX...] [-l MATCHERS]",
		Short: "The registry's metrics from every pod: filtered, merged, as rates or a one-screen summary",
		Long: `Scrape /extensions/v2/metrics on every Ready registry pod (a port-forward to
port 5000 of each, TLS verified for the service name with the cluster's
service CA) and merge them: counters and gauges summed, summary quantiles
kept per pod (they cannot be added up). --by-pod keeps every pod apart.
When you may not port-forward to the registry pods, or with --via-route,
the route (or --registry) host is read instead: that is one replica's view.

The token is your kubeconfig's, sent only to the registry, never on a
command line. Reading metrics needs get registry/metrics in
image.openshift.io (grant it with: grant metrics USER).

FAMILY-REGEX patterns are anchored; the imageregistry_ prefix is implied
unless a pattern has it or --all is given. -l takes Prometheus label
matchers: method=get,code=~5..,type!=Hit.

--summary answers the usual questions on one screen: request rate and
error ratios (4xx and 5xx apart) by method, p99 latency, in-flight
requests, digest cache hit ratio, storage errors (READ_ONLY_FILESYSTEM and
DEVICE_OUT_OF_SPACE flagged), pull-through errors, per pod. --fail-on
turns it into a CI gate: comma-separated NAME OP NUMBER, with OP one of
> >= < <= == != and NAME one of request_rate, error_ratio, error_ratio_4xx,
error_ratio_5xx, p99_seconds, in_flight, digest_cache_hit_ratio,
digest_cache_scoped_hit_ratio, storage_errors, storage_errors_critical,
pullthrough_errors (5% means 0.05); exit 5 when one fails.

Rates: --watch 5s redraws every interval on a terminal (one block per
interval otherwise); --interval 10s --samples 2 scrapes twice and prints
per-second rates once, for CI.`,
		Example: `  # Every imageregistry_ family, merged over the pods
  oc-registry metrics

  # GET requests by status code, per pod
  oc-registry metrics 'http_requests_total' -l method=get --by-pod

  # Health on one screen, and a CI gate on server errors
  oc-registry metrics --summary --interval 10s --samples 2 --fail-on 'error_ratio_5xx>0.01'

  # Request rates every 5 seconds
  oc-registry metrics http_requests_total --watch 5s

  # The filtered families re-exposed, for promtool or a push gateway
  oc-registry metrics 'digest_cache_.*' -o prom`,
		RunE: runE(fac, o),
	}
	o.registryTarget.addFlags(cmd)
	f := cmd.Flags()
	f.BoolVar(&o.All, "all", false, "Every family (go_*, process_*, ...), not only imageregistry_; patterns are then taken as they are.")
	f.StringVarP(&o.Labels, "labels", "l", "", "Label matchers, Prometheus syntax: method=get,code=~5..,type!=Hit.")
	f.StringVar(&o.Types, "type", "", "Only these family types: counter, gauge, summary, histogram, untyped (comma-separated).")
	f.BoolVar(&o.ByPod, "by-pod", false, "Keep every pod's series apart (a pod label) instead of merging them.")
	f.BoolVar(&o.ViaRoute, "via-route", false, "Read through the route (or --registry) host instead of port-forwarding to every pod.")
	f.BoolVar(&o.Summary, "summary", false, "One screen of answers: rates, error ratios, latency, cache, storage errors, per pod.")
	f.StringVar(&o.FailOn, "fail-on", "", "With --summary: thresholds that fail the command (exit 5), e.g. 'error_ratio_5xx>0.01,p99_seconds>2'.")
	f.DurationVar(&o.Watch, "watch", 0, "Scrape every interval and print per-second rates (redrawn on a terminal).")
	f.DurationVar(&o.Interval, "interval", 0, "Time between scrapes for --samples.")
	f.IntVar(&o.Samples, "samples", 0, "Scrape this many times, --interval apart, and print the rates between the first and the last.")
	f.StringVarP(&o.Output, "output", "o", "", "Output format: table (default), json, or prom (the Prometheus text format).")
	f.StringVar(&o.CAFile, "ca-file", "", "Trust this CA (PEM) for the registry, besides the cluster's and the one login recorded.")
	f.DurationVar(&o.Timeout, "timeout", 30*time.Second, "Give up on a scrape after this long.")
	return cmd
}

// Complete parses the arguments and the filters, then builds the clients
// (the kubeconfig is read; nothing is sent).
func (o *MetricsOptions) Complete(f Factory, _ *cobra.Command, args []string) error {
	o.patterns = args
	var err error
	if o.Types != "" {
		if o.types, err = metrics.ParseTypes(o.Types); err != nil {
			return clierr.WithCode(clierr.CodeUsage, err)
		}
	}
	if o.Summary {
		o.filter = metrics.ReportFilter()
	} else if o.filter, err = metrics.NewFilter(metrics.FilterOptions{Patterns: args, All: o.All, Labels: o.Labels, Types: o.types}); err != nil {
		return clierr.WithCode(clierr.CodeUsage, err)
	}
	if o.FailOn != "" {
		if o.thresholds, err = metrics.ParseThresholds(o.FailOn); err != nil {
			return clierr.WithCode(clierr.CodeUsage, err)
		}
	}
	o.clients, err = f.KubeClients()
	return err
}

// Validate checks that the flags fit together.
func (o *MetricsOptions) Validate() error {
	if err := o.registryTarget.validate(); err != nil {
		return err
	}
	switch o.Output {
	case "", "table", "json", "prom":
	default:
		return clierr.Usagef("unknown output format %q: use table, json or prom", o.Output)
	}
	switch {
	case o.FailOn != "" && !o.Summary:
		return clierr.Usagef("--fail-on needs --summary")
	case slices.ContainsFunc(o.thresholds, func(t metrics.Threshold) bool { return t.Name == "request_rate" }) && o.Samples == 0 && o.Watch == 0:
		return clierr.Usagef("--fail-on request_rate needs two scrapes: add --interval 10s --samples 2")
	case o.Summary && (len(o.patterns) > 0 || o.Labels != "" || o.Types != "" || o.All):
		return clierr.Usagef("--summary reads its own families: drop the patterns, -l, --type and --all")
	case o.Summary && o.Output == "prom":
		return clierr.Usagef("--summary has no prom output: use table or json")
	case o.Watch < 0 || o.Interval < 0 || o.Samples < 0:
		return clierr.Usagef("--watch, --interval and --samples must be positive")
	case o.Watch > 0 && (o.Samples > 0 || o.Interval > 0):
		return clierr.Usagef("--watch and --interval/--samples are two modes: choose one")
	case (o.Samples > 0) != (o.Interval > 0):
		return clierr.Usagef("--interval and --samples go together, e.g. --interval 10s --samples 2")
	case o.Samples == 1:
		return clierr.Usagef("--samples must be 2 or more: a rate needs two scrapes")
	case (o.Watch > 0 || o.Samples > 0) && o.Output == "prom":
		return clierr.Usagef("rates have no prom output: use table or json")
	case o.Watch > 0 && o.Watch < 500*time.Millisecond:
		return clierr.Usagef("--watch %s is too short: 500ms or more", o.Watch)
	case o.Timeout <= 0:
		return clierr.Usagef("--timeout must be positive")
	}
	return nil
}

// Run scrapes and prints.
func (o *MetricsOptions) Run(ctx context.Context) error {
	if os.Getenv("GOGC") == "" {
		// A scrape holds a few megabytes for a moment: collecting when the
		// heap has grown to three times what is live rather than twice
		// saves a collection or two, some 10% of the command's time, for
		// about a megabyte more at its peak.
		defer debug.SetGCPercent(debug.SetGCPercent(200))
	}
	token, err := auth.BearerToken(o.clients.Config)
	if err != nil {
		return &clierr.Error{Err: err, Code: clierr.CodeUnauthorized, Hint: "log in with a token: oc login"}
	}
	eps, stop, err := o.endpoints(ctx, token)
	if err != nil {
		return err
	}
	defer stop()
	scrape := func() (*metrics.Snapshot, error) {
		sctx, cancel := context.WithTimeout(ctx, o.Timeout)
		defer cancel()
		snaps, err := metrics.Scrape(sctx, eps, o.filter)
		if err != nil {
			return nil, o.explain(ctx, err)
		}
		return metrics.Merge(metrics.MergeByPod, snaps...)
	}
	switch {
	case o.Watch > 0:
		return o.watch(ctx, scrape)
	case o.Samples > 0:
		first, err := scrape()
		if err != nil {
			return err
		}
		start, last := time.Now(), first
		for i := 1; i < o.Samples; i++ {
			if err := sleep(ctx, o.Interval); err != nil {
				return err
			}
			if last, err = scrape(); err != nil {
				return err
			}
		}
		return o.print(first, last, time.Since(start))
	}
	cur, err := scrape()
	if err != nil {
		return err
	}
	return o.print(nil, cur, 0)
}

// print shows one result: values (prev nil) or the rates from prev to cur.
func (o *MetricsOptions) print(prev, cur *metrics.Snapshot, elapsed time.Duration) error {
	if o.Summary {
		rep, err := metrics.BuildReport(cur, prev, elapsed)
		if err != nil {
			return err
		}
		results := rep.Check(o.thresholds)
		if o.Output == "json" {
			err = metrics.WriteReportJSON(o.Out, rep, results)
		} else {
			err = metrics.WriteReport(o.Out, rep)
			for _, r := range results {
				switch {
				case r.Failed:
					fmt.Fprintf(o.ErrOut, "threshold failed: %s (actual %g)\n", r.Threshold.Name+r.Threshold.Op+fmt.Sprint(r.Threshold.Value), r.Actual)
				case r.Unknown:
					warnf(o.ErrOut, "threshold %s not checked: no value (no requests in the window?)", r.Threshold.Name+r.Threshold.Op+fmt.Sprint(r.Threshold.Value))
				}
			}
		}
		if err != nil {
			return err
		}
		if metrics.AnyFailed(results) {
			return clierr.WithCode(clierr.CodeNo, clierr.Silent)
		}
		return nil
	}
	shown := cur
	if prev != nil {
		r, err := metrics.Rates(prev, cur, elapsed)
		if err != nil {
			return err
		}
		shown = r
	}
	if !o.ByPod {
		var err error
		if shown, err = metrics.Merge(metrics.MergeSum, shown); err != nil {
			return err
		}
	}
	switch {
	case o.Output == "json":
		return metrics.WriteJSON(o.Out, shown)
	case o.Output == "prom":
		return metrics.WriteProm(o.Out, shown)
	case prev != nil:
		return metrics.WriteRates(o.Out, shown, time.Now())
	}
	return metrics.WriteTable(o.Out, shown)
}

// watch prints rates every interval: redrawn on a terminal, one block per
// interval otherwise. Ctrl-C ends it with exit 0.
func (o *MetricsOptions) watch(ctx context.Context, scrape func() (*metrics.Snapshot, error)) error {
	prev, err := scrape()
	if err != nil {
		return err
	}
	last := time.Now()
	tty := isTerminal(o.Out)
	for {
		if err := sleep(ctx, o.Watch); err != nil {
			return nil
		}
		cur, err := scrape()
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		now := time.Now()
		if tty {
			fmt.Fprint(o.Out, "\033[H\033[2J")
		}
		if err := o.print(prev, cur, now.Sub(last)); err != nil && !errors.Is(err, clierr.Silent) {
			return err
		}
		prev, last = cur, now
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// endpoints opens a port-forward to every Ready registry pod, or, when the
// user may not or asked for the route, one client for the route host.
func (o *MetricsOptions) endpoints(ctx context.Context, token string) ([]metrics.Endpoint, func(), error) {
	extra, err := readFileFlag("--ca-file", o.CAFile)
	if err != nil {
		return nil, nil, err
	}
	if !o.ViaRoute && o.Registry == "" && !o.Internal && !o.Public {
		ok, why, err := o.mayForward(ctx)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			return o.podEndpoints(ctx, token, extra)
		}
		fmt.Fprintf(o.ErrOut, "note: %s; reading through the route instead\n", why)
	}
	if err := o.resolve(ctx, o.clients); err != nil {
		return nil, nil, err
	}
	var caPEM []byte
	if extra == nil {
		caPEM, _, _ = cluster.FetchCA(ctx, o.clients.Core, o.info, o.host)
	}
	roots, err := auth.TrustFor(o.host, "", "", caPEM, extra)
	if err != nil {
		return nil, nil, err
	}
	c, err := registry.New(registry.Config{Host: o.host, HostSource: o.source, Username: "oc-registry", Secret: token,
		Roots: roots, AllowRealms: o.AllowRealms, Timeout: o.Timeout})
	if err != nil {
		return nil, nil, clierr.WithCode(clierr.CodeUsage, err)
	}
	fmt.Fprintf(o.ErrOut, "note: %s shows one replica's view (whichever pod the route picks); port-forward access gives every pod\n", o.host)
	return []metrics.Endpoint{{Client: c}}, func() {}, nil
}

// mayForward asks whether the user may list the registry pods and
// port-forward to them.
func (o *MetricsOptions) mayForward(ctx context.Context) (bool, string, error) {
	rc := rbacClient(o.clients)
	for _, a := range []authzv1.ResourceAttributes{
		{Namespace: cluster.Namespace, Verb: "list", Resource: "pods"},
		{Namespace: cluster.Namespace, Verb: "create", Resource: "pods", Subresource: "portforward"},
	} {
		ok, _, err := rc.SelfAccess(ctx, a)
		if apierrors.IsUnauthorized(err) {
			return false, "", err
		}
		if err != nil || !ok {
			what := a.Resource
			if a.Subresource != "" {
				what += "/" + a.Subresource
			}
			return false, fmt.Sprintf("you may not %s %s in %s", a.Verb, what, cluster.Namespace), nil
		}
	}
	return true, "", nil
}

func (o *MetricsOptions) podEndpoints(ctx context.Context, token string, extra []byte) ([]metrics.Endpoint, func(), error) {
	pods, err := o.clients.Core.Pods(cluster.Namespace).List(ctx, metav1.ListOptions{LabelSelector: cluster.RegistrySelector})
	if err != nil {
		return nil, nil, fmt.Errorf("listing the registry pods in %s: %w", cluster.Namespace, err)
	}
	caPEM, _, err := cluster.FetchCA(ctx, o.clients.Core, nil, cluster.ServiceHost)
	if err != nil {
		warnf(o.ErrOut, "%v; pass the service CA with --ca-file if TLS fails", err)
	}
	roots, err := auth.TrustFor(cluster.ServiceHost, "", "", caPEM, extra)
	if err != nil {
		return nil, nil, err
	}
	var eps []metrics.Endpoint
	var stops []func()
	stopAll := func() {
		for _, s := range stops {
			s()
		}
	}
	for _, p := range pods.Items {
		if !podReady(&p) {
			continue
		}
		addr, stop, err := cluster.Forward(ctx, o.clients.Config, o.clients.Core, cluster.Namespace, p.Name, 5000, io.Discard)
		if err != nil {
			stopAll()
			return nil, nil, err
		}
		stops = append(stops, stop)
		// The pod serves the service's certificate: verified for that name,
		// as the cluster's own ServiceMonitor does.
		c, err := registry.New(registry.Config{Host: cluster.ServiceHost, HostSource: "pod " + p.Name, Username: "oc-registry", Secret: token,
			Roots: roots, Timeout: o.Timeout, DialAddr: addr})
		if err != nil {
			stopAll()
			return nil, nil, err
		}
		eps = append(eps, metrics.Endpoint{Pod: p.Name, Client: c})
	}
	if len(eps) == 0 {
		stopAll()
		return nil, nil, fmt.Errorf("no Ready registry pod in %s (%d pods match %s): the registry is down or not installed", cluster.Namespace, len(pods.Items), cluster.RegistrySelector)
	}
	return eps, stopAll, nil
}

func podReady(p *corev1.Pod) bool {
	if p.Status.Phase != corev1.PodRunning || p.DeletionTimestamp != nil {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// explain turns a failed scrape into the message and exit code. A 401 is
// told apart by asking the API server about the same token: rejected there
// too (exit 3), or valid without the permission (exit 4).
func (o *MetricsOptions) explain(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, metrics.ErrDenied):
		ok, _, aerr := rbacClient(o.clients).SelfAccess(ctx, authzv1.ResourceAttributes{Verb: "get", Group: "image.openshift.io", Resource: "registry", Subresource: "metrics"})
		switch {
		case apierrors.IsUnauthorized(aerr):
			return &clierr.Error{Err: fmt.Errorf("token rejected: %w", err), Code: clierr.CodeUnauthorized,
				Hint: "your token has expired or was revoked: run 'oc login', then try again"}
		case aerr == nil && !ok:
			who := o.clients.WhoAmI(ctx)
			if who == "" {
				who = "USER"
			}
			subject := who
			if sa, ok := strings.CutPrefix(who, "system:serviceaccount:"); ok {
				subject = "--serviceaccount " + sa
			}
			return &clierr.Error{Err: fmt.Errorf("access denied: %s may not read registry metrics (get registry/metrics in image.openshift.io)", who),
				Code: clierr.CodeForbidden, Hint: fmt.Sprintf("ask a cluster admin to run: %s grant metrics %s", o.name, subject)}
		}
		return &clierr.Error{Err: fmt.Errorf("access denied: %w, although the API server says you may get registry/metrics", err), Code: clierr.CodeForbidden}
	case errors.Is(err, metrics.ErrNotServed):
		return clierr.WithHint(err, "the OpenShift registry always serves metrics (the operator enables them): the host may not be the OpenShift registry; check --registry")
	case registry.CauseOf(err) == registry.CauseTLS:
		return clierr.WithHint(err, "trust the registry's CA with --ca-file FILE (the service CA is in configmap %s/%s), or run 'login' first", cluster.CAConfigMapNS, cluster.CAConfigMap)
	case registry.CauseOf(err) == registry.CauseUnreachable:
		return clierr.WithHint(err, "check the registry pods: kubectl get pods -n %s", cluster.Namespace)
	}
	return err
}
