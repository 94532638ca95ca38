package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/oc-registry/oc-registry/pkg/clierr"
	"github.com/oc-registry/oc-registry/pkg/cluster"
	"github.com/oc-registry/oc-registry/pkg/logs"
	"github.com/spf13/cobra"
	"golang.org/x/term"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/dynamic"
	coreclient "k8s.io/client-go/kubernetes/typed/core/v1"
)

// Which pods are the registry's. The labels are the ones the image registry
// operator puts on the Deployment's and the node-ca DaemonSet's pods.
const (
	registrySelector = cluster.RegistrySelector
	nodeCASelector   = "name=node-ca"
)

// The operator's config, whose spec.logLevel --set-level changes.
var imageRegistryConfigs = schema.GroupVersionResource{Group: "imageregistry.operator.openshift.io", Version: "v1", Resource: "configs"}

const imageRegistryConfig = "configs.imageregistry.operator.openshift.io/cluster"

// setLevels are the operator's log levels, as spec.logLevel spells them.
var setLevels = []string{"Normal", "Debug", "Trace", "TraceAll"}

// LogsOptions reads, filters and follows the registry's logs, or changes
// the registry's log level (--set-level).
type LogsOptions struct {
	// Which pods and containers.
	NodeCA         bool
	Selector       string
	Container      string
	AllContainers  bool
	MaxLogRequests int

	// kubectl's flags.
	Follow     bool
	Since      time.Duration
	SinceTime  string
	Tail       int64
	Timestamps bool
	Prefix     bool
	Color      string

	// Filters and output.
	Filter logs.FilterOptions
	Output string

	// Changing the level.
	SetLevel string
	DryRun   bool

	// Set by Complete unless already set: tests inject fakes here.
	Namespace string
	Pods      coreclient.PodsGetter
	Source    logs.Source // nil: the pod log API through Pods
	Dynamic   dynamic.Interface
	// PollInterval spaces pod lists when a pod watch is not possible.
	PollInterval time.Duration

	// Derived from the flags by Validate.
	prefixSet bool
	selector  string
	what      string // "registry pods", "node-ca pods" or "pods"
	filter    *logs.Filter
	format    logs.OutputFormat
	sinceTime *time.Time

	changed func(string) bool  // whether a flag was given
	inject  func(*LogsOptions) // tests: fakes in place of the clients Complete builds
	genericiooptions.IOStreams
}

const logsLong = `Read the logs of every registry pod, merged line by line, parsed, filtered,
and followed without losing or repeating a line.

By default the pods are the registry's: label docker-registry=default in
namespace openshift-image-registry (-n and -l choose others; --node-ca the
node-ca DaemonSet's pods, label name=node-ca). Each pod's default container is
read; -c names another, --all-containers reads them all.

The registry writes logrus lines (time="..." level=info msg="..." key=value
...). The filters read them: --level keeps that level and above; --grep and
--exclude match the message against a regular expression; --user, --repo,
--status and --method match the request fields openshift.auth.user,
vars.name (a glob: "p/*"), http.response.status ("404", "4xx", ">=400",
"<500", "400-499", "!=200", "401,403") and http.request.method. Filters combine
with AND. Lines that do not parse (panics, stack traces) are never dropped by
--level, and any field filter drops them.

-o json writes one JSON object per line: pod, container, kubelet_time (with
-f or --timestamps), time, level, msg, then every field of the line under its
own name (http.response.status, vars.name, ...), every value a string.

With -f the logs are followed: pods that appear during a rollout are picked up
and pods that go are dropped, each with a note on stderr. A stream that ends
while its container still runs (idle timeouts, API server restarts, log
rotation) is reopened where it stopped; a restarted container is followed from
its start. Ctrl-C ends it with exit code 0.

--prefix starts each line with [pod] (with --all-containers [pod/container]);
it is on by default when more than one pod is read, and with -f, where pods
come and go. The prefix is coloured per pod when stdout is a terminal
(--color auto), unless NO_COLOR is set; --color always and never override both.

--set-level changes the registry's log level instead of reading logs: it
merge-patches spec.logLevel of configs.imageregistry.operator.openshift.io
"cluster". The operator maps Normal to the registry's info level and Debug,
Trace and TraceAll to debug, and rolls out new registry pods to apply it.
It needs patch on that resource (a cluster admin's right).`

const logsExample = `  # Every registry pod's log, merged
  oc-registry logs

  # Follow errors and warnings, through rollouts
  oc-registry logs -f --level warn

  # alice's requests to p/app in the last hour, as JSON
  oc-registry logs --since 1h --user alice --repo p/app -o json

  # Denied and failed requests, with kubelet timestamps
  oc-registry logs --status '>=400' --timestamps

  # The node-ca pods
  oc-registry logs --node-ca

  # Turn on debug logging (the operator rolls the registry); show the patch first
  oc-registry logs --set-level Debug --dry-run
  oc-registry logs --set-level Debug`

// NewCmdLogs builds `logs`.
func NewCmdLogs(f Factory, streams genericiooptions.IOStreams) *cobra.Command {
	return newCmdLogs(f, streams, nil)
}

// newCmdLogs takes a hook that tests use to inject fake clients before
// Complete would build real ones.
func newCmdLogs(fac Factory, streams genericiooptions.IOStreams, inject func(*LogsOptions)) *cobra.Command {
	o := &LogsOptions{IOStreams: streams, inject: inject}
	cmd := &cobra.Command{
		Use:     "logs [-f] [--level LEVEL] [--user USER] [--repo REPO] [--status EXPR] [flags]",
		Short:   "Read, filter and follow the logs of every registry pod; change the log level",
		Long:    logsLong,
		Example: logsExample,
		Args:    cobra.NoArgs,
		RunE:    runE(fac, o),
	}
	f := cmd.Flags()
	f.BoolVar(&o.NodeCA, "node-ca", false, "Read the node-ca DaemonSet's pods (label name=node-ca) instead of the registry's.")
	f.StringVarP(&o.Selector, "selector", "l", "", "Label selector of the pods to read (default docker-registry=default).")
	f.StringVarP(&o.Container, "container", "c", "", "Container to read (default: each pod's default container).")
	f.BoolVar(&o.AllContainers, "all-containers", false, "Read every container of each pod.")
	f.IntVar(&o.MaxLogRequests, "max-log-requests", logs.DefaultMaxLogRequests, "Most log streams open at once; following more is an error.")
	f.BoolVarP(&o.Follow, "follow", "f", false, "Follow the logs: new lines, new pods, reconnecting after every end of a stream.")
	f.DurationVar(&o.Since, "since", 0, "Only lines newer than this duration (5s, 2m, 3h).")
	f.StringVar(&o.SinceTime, "since-time", "", "Only lines after this time (RFC 3339, e.g. 2026-01-02T15:04:05Z).")
	f.Int64Var(&o.Tail, "tail", -1, "Lines of each log's end to show; -1 shows all.")
	f.BoolVar(&o.Timestamps, "timestamps", false, "Start each line with the kubelet's timestamp.")
	f.BoolVar(&o.Prefix, "prefix", false, "Start each line with [pod] (default: on with more than one pod, or with -f).")
	f.StringVar(&o.Color, "color", "auto", "Colour the prefix: auto (stdout is a terminal and NO_COLOR unset), always or never.")
	f.StringVar(&o.Filter.Level, "level", "", "Keep lines at this level and above: trace, debug, info, warn, error, fatal, panic.")
	f.StringVar(&o.Filter.Grep, "grep", "", "Keep lines whose message matches this regular expression.")
	f.StringVar(&o.Filter.Exclude, "exclude", "", "Drop lines whose message matches this regular expression.")
	f.StringVar(&o.Filter.User, "user", "", "Keep requests by this user (openshift.auth.user).")
	f.StringVar(&o.Filter.Repo, "repo", "", "Keep requests to this repository (vars.name; a glob such as 'p/*').")
	f.StringVar(&o.Filter.Status, "status", "", "Keep responses with this status: 404, 4xx, >=400, <500, 400-499, !=200, 401,403.")
	f.StringVar(&o.Filter.Method, "method", "", "Keep requests with this HTTP method (GET, HEAD, PUT, ...).")
	f.StringVarP(&o.Output, "output", "o", "raw", "Output format: raw or json (one object per line).")
	f.StringVar(&o.SetLevel, "set-level", "", "Set the registry's log level instead of reading logs: Normal, Debug, Trace or TraceAll.")
	f.BoolVar(&o.DryRun, "dry-run", false, "With --set-level: print the patch and send nothing.")
	return cmd
}

// readFlags are the flags that mean reading logs, which --set-level does not.
var readFlags = []string{"node-ca", "selector", "container", "all-containers", "max-log-requests",
	"follow", "since", "since-time", "tail", "timestamps", "prefix", "color",
	"level", "grep", "exclude", "user", "repo", "status", "method", "output"}

// Validate checks that the flags fit together. It reads no file and
// talks to no server.
func (o *LogsOptions) Validate() error {
	if o.SetLevel != "" {
		for _, name := range readFlags {
			if o.changed(name) {
				return clierr.Usagef("--set-level changes the log level and reads no logs: drop --%s", name)
			}
		}
		return nil
	}
	switch {
	case o.DryRun:
		return clierr.Usagef("--dry-run applies to --set-level only")
	case o.NodeCA && o.Selector != "":
		return clierr.Usagef("--node-ca and -l/--selector both choose the pods: give one")
	case o.Container != "" && o.AllContainers:
		return clierr.Usagef("-c/--container and --all-containers both choose the containers: give one")
	case o.MaxLogRequests <= 0:
		return clierr.Usagef("invalid --max-log-requests %d: want 1 or more", o.MaxLogRequests)
	case o.Tail < -1:
		return clierr.Usagef("invalid --tail %d: want -1 (all) or more", o.Tail)
	case o.Since < 0:
		return clierr.Usagef("invalid --since %s: want a positive duration such as 10m", o.Since)
	case o.Since != 0 && o.SinceTime != "":
		return clierr.Usagef("--since and --since-time both set where to start: give one")
	}
	switch o.Color {
	case "auto", "always", "never":
	default:
		return clierr.Usagef("invalid --color %q: want auto, always or never", o.Color)
	}
	return nil
}

// parse turns the flags into what Run needs: the set level's canonical
// name, the start time, the output format, the filter and the selector.
func (o *LogsOptions) parse() error {
	if o.SetLevel != "" {
		level, ok := canonicalSetLevel(o.SetLevel)
		if !ok {
			return clierr.Usagef("invalid --set-level %q: want Normal, Debug, Trace or TraceAll", o.SetLevel)
		}
		o.SetLevel = level
		return nil
	}
	o.prefixSet = o.changed("prefix")
	if o.Selector != "" && badSelector(o.Selector) != nil {
		return clierr.Usagef("invalid -l/--selector %q: %v", o.Selector, badSelector(o.Selector))
	}
	if o.SinceTime != "" {
		t, err := time.Parse(time.RFC3339, o.SinceTime)
		if err != nil {
			return clierr.Usagef("invalid --since-time %q: want RFC 3339, such as 2026-01-02T15:04:05Z", o.SinceTime)
		}
		o.sinceTime = &t
	}
	var err error
	if o.format, err = logs.ParseOutputFormat(o.Output); err != nil {
		return clierr.WithCode(clierr.CodeUsage, err)
	}
	if o.Filter != (logs.FilterOptions{}) {
		if o.filter, err = logs.NewFilter(o.Filter); err != nil {
			return clierr.WithCode(clierr.CodeUsage, err)
		}
	}
	switch {
	case o.NodeCA:
		o.selector, o.what = nodeCASelector, "node-ca pods"
	case o.Selector != "":
		o.selector, o.what = o.Selector, "pods"
	default:
		o.selector, o.what = registrySelector, "registry pods"
	}
	return nil
}

func canonicalSetLevel(s string) (string, bool) {
	for _, l := range setLevels {
		if strings.EqualFold(strings.TrimSpace(s), l) {
			return l, true
		}
	}
	return "", false
}

// Complete parses the flags, settles the namespace and builds the clients
// that were not injected. The namespace is the registry's unless -n was
// given: the current context's namespace is where the user works, not
// where the registry runs.
func (o *LogsOptions) Complete(f Factory, cmd *cobra.Command, _ []string) error {
	o.changed = cmd.Flags().Changed
	if err := o.parse(); err != nil {
		return err
	}
	if o.inject != nil {
		o.inject(o)
	}
	if o.Namespace == "" && o.SetLevel == "" {
		ns, explicit, err := f.Namespace()
		if err != nil {
			return err
		}
		o.Namespace = cluster.Namespace
		if explicit {
			o.Namespace = ns
		}
	}
	needPods := o.SetLevel == "" && o.Pods == nil
	needDynamic := o.SetLevel != "" && o.Dynamic == nil
	if needPods || needDynamic {
		c, err := f.KubeClients()
		if err != nil {
			return err
		}
		if needPods {
			o.Pods = c.Core
		}
		if needDynamic {
			o.Dynamic = c.Dynamic
		}
	}
	if o.Source == nil && o.Pods != nil {
		o.Source = logs.NewPodSource(o.Pods)
	}
	return nil
}

// Run reads the logs, or sets the level.
func (o *LogsOptions) Run(ctx context.Context) error {
	if o.SetLevel != "" {
		return o.runSetLevel(ctx)
	}
	err := o.runLogs(ctx)
	if ctx.Err() != nil {
		// Ctrl-C is how one stops reading logs, -f above all: it is
		// success, not "interrupted".
		return nil
	}
	return err
}

func (o *LogsOptions) runLogs(ctx context.Context) error {
	q := logs.PodQuery{Namespace: o.Namespace, Selector: o.selector, Container: o.Container, AllContainers: o.AllContainers}
	list, err := q.List(ctx, o.Pods)
	if err != nil {
		return o.explain(err)
	}
	if len(list.Items) == 0 {
		if o.what == "pods" {
			return fmt.Errorf("no pods in namespace %s match selector %s: check -n and -l", o.Namespace, o.selector)
		}
		return fmt.Errorf("no %s in namespace %s (selector %s): the registry is not deployed here, or pass -n/-l", o.what, o.Namespace, o.selector)
	}
	targets, notes := q.Targets(list.Items, !o.Follow)
	for _, n := range notes {
		fmt.Fprintln(o.ErrOut, n)
	}
	if len(targets) == 0 {
		if o.Container != "" {
			return fmt.Errorf("none of the %d %s in namespace %s has a container %q", len(list.Items), o.what, o.Namespace, o.Container)
		}
		if !o.Follow {
			return clierr.WithHint(fmt.Errorf("none of the %d %s in namespace %s has started yet: no log to read", len(list.Items), o.what, o.Namespace),
				"follow with -f to read them once they start")
		}
	}

	notesOut := &syncWriter{w: o.ErrOut}
	printer := logs.NewPrinter(o.Out, logs.PrintOptions{
		Format:          o.format,
		Prefix:          o.prefix(targets),
		PrefixContainer: o.AllContainers,
		Color:           o.color(),
		Timestamps:      o.Timestamps,
	})
	s, err := logs.NewStreamer(logs.Options{
		Source:         o.Source,
		Printer:        printer,
		Filter:         o.filter,
		Notes:          notesOut,
		Follow:         o.Follow,
		SinceTime:      o.sinceTime,
		SinceSeconds:   o.sinceSeconds(),
		TailLines:      o.tailLines(),
		MaxLogRequests: o.MaxLogRequests,
	})
	if err != nil {
		return err
	}
	if !o.Follow {
		return o.explain(s.Run(ctx, targets))
	}

	// Following: a pod watch feeds Track the set of containers to follow.
	// The feed stops when Track returns; a feed that fails (pods may no
	// longer be listed) stops Track through the shared context, and its
	// error is the command's.
	fctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sets := make(chan []logs.Target)
	feed := &logs.Feed{Pods: o.Pods, Query: q, Notes: notesOut, PollInterval: o.PollInterval}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := feed.Run(fctx, list, sets); err != nil {
			cancel(err)
		}
	}()
	err = s.Track(fctx, sets)
	cancel(nil)
	<-done
	if err == nil && ctx.Err() == nil {
		if cause := context.Cause(fctx); cause != nil && !errors.Is(cause, context.Canceled) {
			err = cause
		}
	}
	return o.explain(err)
}

// prefix is --prefix when given; otherwise on when lines of several pods
// mix, or may come to (with -f, a rollout adds pods).
func (o *LogsOptions) prefix(targets []logs.Target) bool {
	if o.prefixSet {
		return o.Prefix
	}
	if o.Follow {
		return true
	}
	pods := map[string]bool{}
	for _, t := range targets {
		pods[t.Pod] = true
	}
	return len(pods) > 1
}

// color follows https://no-color.org: NO_COLOR set and not empty turns
// colour off, except where --color always asks for it.
func (o *LogsOptions) color() bool {
	switch o.Color {
	case "always":
		return true
	case "never":
		return false
	}
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	f, ok := o.Out.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// sinceSeconds rounds up, as the API takes whole seconds and at least 1.
func (o *LogsOptions) sinceSeconds() *int64 {
	if o.Since <= 0 {
		return nil
	}
	s := int64(math.Ceil(o.Since.Seconds()))
	return &s
}

func (o *LogsOptions) tailLines() *int64 {
	if o.Tail < 0 {
		return nil
	}
	n := o.Tail
	return &n
}

// explain gives the errors a user can act on their exit code and a hint.
func (o *LogsOptions) explain(err error) error {
	if err == nil {
		return nil
	}
	var pe *logs.PermissionError
	if errors.As(err, &pe) {
		return &clierr.Error{Err: err, Code: clierr.CodeForbidden,
			Hint: fmt.Sprintf("reading logs needs get pods/log, and list, watch and get pods, in namespace %s (the view role there has them): ask a cluster admin", pe.Namespace)}
	}
	return err
}

// syncWriter lets the streamer and the pod feed share stderr.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

// runSetLevel merge-patches the operator config's spec.logLevel.
func (o *LogsOptions) runSetLevel(ctx context.Context) error {
	res := o.Dynamic.Resource(imageRegistryConfigs)
	from := ""
	known := false
	cfg, err := res.Get(ctx, "cluster", metav1.GetOptions{})
	switch {
	case err == nil:
		known = true
		from, _, _ = unstructured.NestedString(cfg.Object, "spec", "logLevel")
		if from == "" {
			from = "Normal" // the operator's default when unset
		}
		if state, _, _ := unstructured.NestedString(cfg.Object, "spec", "managementState"); state == "Unmanaged" || state == "Removed" {
			warnf(o.ErrOut, "the image registry operator's managementState is %s: it will not apply the new level to the registry", state)
		}
	case apierrors.IsNotFound(err):
		return configMissing(err)
	case apierrors.IsForbidden(err):
		// Reading is not needed to patch: go on without the old value.
	default:
		return fmt.Errorf("reading %s: %w", imageRegistryConfig, err)
	}
	if known && from == o.SetLevel {
		fmt.Fprintf(o.Out, "%s: spec.logLevel is already %s; nothing to change\n", imageRegistryConfig, from)
		return nil
	}
	patch, err := json.Marshal(map[string]any{"spec": map[string]any{"logLevel": o.SetLevel}})
	if err != nil {
		return err
	}
	change := "spec.logLevel -> " + o.SetLevel
	if known {
		change = fmt.Sprintf("spec.logLevel %s -> %s", from, o.SetLevel)
	}
	if o.DryRun {
		fmt.Fprintf(o.Out, "%s\n", patch)
		fmt.Fprintf(o.ErrOut, "dry run: would merge-patch %s (%s); nothing was sent\n", imageRegistryConfig, change)
		o.explainLevel()
		return nil
	}
	_, err = res.Patch(ctx, "cluster", types.MergePatchType, patch, metav1.PatchOptions{FieldManager: "oc-registry"})
	switch {
	case err == nil:
	case apierrors.IsForbidden(err):
		return &clierr.Error{Err: fmt.Errorf("no permission to patch configs.imageregistry.operator.openshift.io: %w", err),
			Code: clierr.CodeForbidden,
			Hint: "changing the registry's log level is a cluster admin's change: ask one, or use --dry-run to show the patch"}
	case apierrors.IsNotFound(err):
		return configMissing(err)
	default:
		return fmt.Errorf("patching %s: %w", imageRegistryConfig, err)
	}
	fmt.Fprintf(o.Out, "%s: %s\n", imageRegistryConfig, change)
	o.explainLevel()
	return nil
}

func (o *LogsOptions) explainLevel() {
	fmt.Fprintf(o.ErrOut, "the operator maps Normal to the registry's info level and Debug, Trace and TraceAll to debug, and rolls out new registry pods to apply it; watch them with: oc-registry logs -f\n")
}

// configMissing tells a cluster without the operator's API (not OpenShift)
// from one whose operator has not created its config. For a missing object
// the API server's Status names it (details.name "cluster"). For a missing
// resource it names nothing (newer servers answer with an empty details),
// or answers a plain 404 page, which client-go turns into a Status with an
// UnexpectedServerResponse cause.
func configMissing(err error) error {
	noResource := true
	var st apierrors.APIStatus
	if errors.As(err, &st) {
		if d := st.Status().Details; d != nil && d.Name != "" {
			noResource = false
			for _, c := range d.Causes {
				if c.Type == metav1.CauseTypeUnexpectedServerResponse {
					noResource = true
				}
			}
		}
	}
	if noResource {
		return clierr.WithHint(errors.New("this cluster has no configs.imageregistry.operator.openshift.io resource: it is not OpenShift, or its image registry operator is not installed"),
			"--set-level works through OpenShift's image registry operator; elsewhere, set the level in the registry's own configuration")
	}
	return clierr.WithHint(fmt.Errorf("%s not found: the image registry operator has not created its config", imageRegistryConfig),
		"check the operator: oc get clusteroperator image-registry")
}

func badSelector(s string) error {
	_, err := labels.Parse(s)
	return err
}
