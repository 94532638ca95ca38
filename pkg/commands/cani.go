package commands

import (
	"context"
	"fmt"
	"io"

	"github.com/oc-registry/oc-registry/pkg/clierr"
	"github.com/oc-registry/oc-registry/pkg/output"
	"github.com/oc-registry/oc-registry/pkg/rbac"
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// CanIOptions answers whether the current user (or --as) may pull, push or
// read metrics.
type CanIOptions struct {
	output.Flags
	Quiet bool

	permissionArgs
	stream string
	genericiooptions.IOStreams
}

// CanIResult is the stable shape of `can-i -o json`.
type CanIResult struct {
	Permission rbac.Permission `json:"permission"`
	Namespace  string          `json:"namespace,omitempty"`
	Stream     string          `json:"stream,omitempty"`
	Allowed    bool            `json:"allowed"`
	Reason     string          `json:"reason,omitempty"`
}

// NewCmdCanI builds `can-i pull|push|metrics [STREAM]`.
func NewCmdCanI(f Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &CanIOptions{IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "can-i pull|push|metrics [STREAM] [-n PROJECT]",
		Short: "Check a registry permission; exit 0 for yes, 5 for no",
		Long: `Ask the API server whether you may pull from, push to, or read the metrics of
the registry. Exit code 0 means yes and 5 means no, for CI gates.

With STREAM, push also checks that you may create the image stream when it
does not exist yet (the registry creates it as you on the first push).

Use --as USER to ask for someone else. The API server then knows only the
groups you name with --as-group (repeatable), besides system:authenticated:
it cannot look up USER's own groups, so a permission USER has through a
group needs that --as-group.

-o json|yaml prints {"permission", "namespace", "stream", "allowed", "reason"}.`,
		Example: `  oc-registry can-i push -n team-a
  oc-registry can-i push app -n team-a --as system:serviceaccount:ci:pipeline
  oc-registry can-i pull -n team-a --as carol --as-group qa
  oc-registry can-i metrics -q || echo "no metrics for me"`,
		ValidArgs: []string{"pull", "push", "metrics"},
		Args:      cobra.RangeArgs(1, 2),
		RunE:      runE(f, o),
	}
	o.Flags.AddFlags(cmd.Flags())
	cmd.Flags().BoolVarP(&o.Quiet, "quiet", "q", false, "Print nothing; answer with the exit code only.")
	return cmd
}

// Complete parses arguments and builds clients.
func (o *CanIOptions) Complete(f Factory, _ *cobra.Command, args []string) error {
	if len(args) == 2 {
		o.stream = args[1]
	}
	return o.complete(f, args[0])
}

// Validate checks the flags.
func (o *CanIOptions) Validate() error {
	if o.stream != "" && o.permission == rbac.Metrics {
		return clierr.Usagef("metrics takes no STREAM")
	}
	if o.Quiet && o.Format != "" {
		return clierr.Usagef("-q answers with the exit code only; it does not go with -o")
	}
	return usageIfErr(o.Flags.Validate())
}

// Run asks and answers.
func (o *CanIOptions) Run(ctx context.Context) error {
	ns := o.namespace
	if o.permission != rbac.Metrics {
		if !o.explicit && !o.Quiet {
			noteProject(o.ErrOut, ns)
		}
		if err := checkProject(ctx, o.client, ns); err != nil {
			return err
		}
	}
	if as := o.clients.Config.Impersonate; as.UserName != "" && len(as.Groups) == 0 && !o.Quiet {
		fmt.Fprintf(o.ErrOut, "note: asking as %s with no groups but system:authenticated: %s's own groups are not known here; add --as-group GROUP for each\n", as.UserName, as.UserName)
	}
	res := CanIResult{Permission: o.permission, Namespace: ns, Stream: o.stream}
	allowed, reason, err := o.client.SelfAccess(ctx, rbac.Attributes(o.permission, ns, o.stream))
	if err != nil {
		return fmt.Errorf("asking the API server: %w", err)
	}
	res.Allowed, res.Reason = allowed, reason
	if allowed && o.permission == rbac.Push && o.stream != "" {
		if err := o.checkNewStream(ctx, ns, &res); err != nil {
			return err
		}
	}
	if !o.Quiet {
		err = o.Print(o.Out, res, func(w io.Writer) error {
			answer := "no"
			if res.Allowed {
				answer = "yes"
			}
			if res.Reason != "" && !res.Allowed {
				answer += " - " + res.Reason
			}
			_, err := fmt.Fprintln(w, answer)
			return err
		})
		if err != nil {
			return err
		}
	}
	if !res.Allowed {
		return &clierr.Error{Err: clierr.Silent, Code: clierr.CodeNo}
	}
	return nil
}

// checkNewStream adds the create right a push to a stream that does not exist
// yet needs.
func (o *CanIOptions) checkNewStream(ctx context.Context, ns string, res *CanIResult) error {
	d, err := o.client.CanPush(ctx, ns, o.stream)
	if err != nil {
		return err
	}
	res.Allowed = d.Allowed
	if !d.Allowed {
		res.Reason = d.Reason
	}
	return nil
}
