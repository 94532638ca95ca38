package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/oc-registry/oc-registry/pkg/clierr"
	"github.com/oc-registry/oc-registry/pkg/cluster"
	"github.com/oc-registry/oc-registry/pkg/output"
	"github.com/oc-registry/oc-registry/pkg/status"
	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	appsclient "k8s.io/client-go/kubernetes/typed/apps/v1"
)

// StatusOptions shows the registry's health in one report and one verdict.
type StatusOptions struct {
	Wait    bool
	Timeout time.Duration
	output.Flags

	namespace  string
	explicitNS bool
	clients    status.Clients
	interval   time.Duration
	now        func() time.Time
	program    string
	genericiooptions.IOStreams
}

// NewCmdStatus builds `status`.
func NewCmdStatus(f Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &StatusOptions{IOStreams: streams, interval: 2 * time.Second, now: time.Now}
	cmd := &cobra.Command{
		Use:   "status [--wait [--timeout 5m]]",
		Short: "Show the registry's health: operator, deployment, pods, routes; exit 0 when healthy",
		Long: `Show the integrated registry's state in one report: the operator's config
(configs.imageregistry.operator.openshift.io/cluster: managementState, storage,
replicas, logLevel, defaultRoute) and its conditions, the image-registry
Deployment and the node-ca DaemonSet, a table of the registry and node-ca
pods (NAME READY STATUS RESTARTS AGE NODE), the routes and the hosts the
cluster publishes (the discovery login uses) — and one verdict line:
"healthy", "degraded: <why>" or "not installed: <why>".

The exit code is the verdict, for scripts: 0 healthy, 6 degraded, 7 not
installed (see docs/exit-codes.md). With --wait it polls until the registry
is healthy, printing each change of the verdict on stderr, and gives up
after --timeout with the exit code of the last verdict.

What you may not read is shown as unknown, with a warning on stderr, and the
verdict is made from the rest; when nothing decisive can be read the exit
code is 4. The registry's namespace is openshift-image-registry; -n names
another one.`,
		Example: `  oc-registry status
  oc-registry status --wait --timeout 5m     # e.g. after changing the operator's config
  oc-registry status -o json | jq -r .summary
  oc-registry status >/dev/null || echo "registry not healthy: exit $?"`,
		Args: cobra.NoArgs,
		RunE: runE(f, o),
	}
	cmd.Flags().BoolVar(&o.Wait, "wait", false, "Wait until the registry is healthy (progress on stderr).")
	cmd.Flags().DurationVar(&o.Timeout, "timeout", 5*time.Minute, "With --wait: give up after this long.")
	o.Flags.AddFlags(cmd.Flags()) // the JSON schema is in docs/status.md
	return cmd
}

// Complete resolves the namespace and builds the clients.
func (o *StatusOptions) Complete(f Factory, cmd *cobra.Command, _ []string) error {
	o.program = programName(cmd)
	ns, explicit, err := f.Namespace()
	if err != nil {
		return err
	}
	o.namespace, o.explicitNS = cluster.Namespace, explicit && ns != cluster.Namespace
	if o.explicitNS {
		o.namespace = ns
	}
	clients, err := f.KubeClients()
	if err != nil {
		return err
	}
	apps, err := appsclient.NewForConfig(clients.Config)
	if err != nil {
		return err
	}
	o.clients = status.Clients{Core: clients.Core, Apps: apps, Dynamic: clients.Dynamic}
	return nil
}

// Validate checks the flags before anything is sent.
func (o *StatusOptions) Validate() error {
	if o.Timeout <= 0 {
		return clierr.Usagef("--timeout must be positive")
	}
	return usageIfErr(o.Flags.Validate())
}

// Run reads, waits if asked, prints, and turns the verdict into the exit code.
func (o *StatusOptions) Run(ctx context.Context) error {
	r, err := status.Collect(ctx, o.clients, o.namespace, o.now())
	if err != nil {
		return err
	}
	timedOut := false
	if o.Wait {
		if r, timedOut, err = o.wait(ctx, r); err != nil {
			return err
		}
	}
	if r.Verdict == status.NotInstalled && o.explicitNS {
		return &clierr.Error{Err: fmt.Errorf("namespace %q has no image registry: %s", o.namespace, r.Summary), Code: clierr.CodeNotInstalled,
			Hint: fmt.Sprintf("the integrated registry runs in namespace %s: leave out -n", cluster.Namespace)}
	}
	for _, w := range r.Warnings {
		warnf(o.ErrOut, "%s", w)
	}
	if err := output.Print(o.Out, o.Format, r, func(w io.Writer) error { return status.WriteText(w, r) }); err != nil {
		return err
	}
	code := 0
	hint := ""
	switch r.Verdict {
	case status.Healthy:
		return nil
	case status.Degraded:
		code, hint = clierr.CodeDegraded, "wait for it with: "+o.program+" status --wait"
	case status.NotInstalled:
		code, hint = clierr.CodeNotInstalled, "on OpenShift the image registry operator installs it: set spec.managementState to Managed in "+status.OperatorConfig
	case status.Unknown:
		return &clierr.Error{Err: errors.New("cannot tell the registry's health: " + strings.Join(r.Reasons, "; ")), Code: clierr.CodeForbidden,
			Hint: "ask for read access to namespace " + o.namespace + " and to " + status.OperatorConfig + ", or ask a cluster admin to run this"}
	}
	if timedOut {
		return &clierr.Error{Err: fmt.Errorf("timed out after %s waiting for the registry to become healthy: %s", o.Timeout, r.Summary), Code: code}
	}
	if o.Format == "" {
		fmt.Fprintf(o.ErrOut, "hint: %s\n", hint)
	}
	return &clierr.Error{Err: clierr.Silent, Code: code}
}

// wait polls until the verdict is healthy or --timeout passes, saying on
// stderr each time the verdict changes.
func (o *StatusOptions) wait(ctx context.Context, r *status.Report) (*status.Report, bool, error) {
	start := o.now()
	last := ""
	say := func(r *status.Report) {
		if r.Verdict != status.Healthy && r.Summary != last {
			fmt.Fprintf(o.ErrOut, "waiting (%s): %s\n", o.now().Sub(start).Round(time.Second), r.Summary)
			last = r.Summary
		}
	}
	if r.Verdict != status.Healthy {
		say(r)
		// Collect gets ctx, not the poll's own: a scrape in flight when
		// --timeout passes finishes, and the timeout is seen between polls.
		var collectErr error
		err := wait.PollUntilContextTimeout(ctx, o.interval, o.Timeout, false, func(context.Context) (bool, error) {
			next, err := status.Collect(ctx, o.clients, o.namespace, o.now())
			if err != nil {
				collectErr = err
				return false, err
			}
			r = next
			say(r)
			return r.Verdict == status.Healthy, nil
		})
		switch {
		case ctx.Err() != nil:
			return nil, false, ctx.Err()
		case collectErr != nil:
			return nil, false, collectErr
		case wait.Interrupted(err):
			return r, true, nil
		case err != nil:
			return nil, false, err
		}
	}
	if last != "" {
		fmt.Fprintf(o.ErrOut, "healthy after %s\n", o.now().Sub(start).Round(time.Second))
	}
	return r, false, nil
}

// programName is how the user started us ("oc-registry", or "oc
// image-registry" as a plugin), for the commands hints tell them to run.
func programName(cmd *cobra.Command) string {
	if n := cmd.Root().Annotations[cobra.CommandDisplayNameAnnotation]; n != "" {
		return n
	}
	return "oc-registry"
}
