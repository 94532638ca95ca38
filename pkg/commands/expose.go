package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/oc-registry/oc-registry/pkg/clierr"
	"github.com/oc-registry/oc-registry/pkg/output"
	"github.com/oc-registry/oc-registry/pkg/status"
	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/dynamic"
)

// ExposeOptions turns the registry's default route on or off.
type ExposeOptions struct {
	Disable    bool
	Timeout    time.Duration
	DryRunFlag string
	output.Flags

	dyn     dynamic.Interface
	program string
	genericiooptions.IOStreams
}

// ExposeOutput is the stable shape of `expose -o json|yaml`: the library's
// result and the login command to use.
type ExposeOutput struct {
	status.ExposeResult
	Login string `json:"login,omitempty"`
}

// NewCmdExpose builds `expose`.
func NewCmdExpose(f Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &ExposeOptions{IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "expose [--disable] [--timeout 2m] [--dry-run]",
		Short: "Expose the registry outside the cluster through its default route (or stop)",
		Long: `Expose the integrated registry outside the cluster: set spec.defaultRoute in
configs.imageregistry.operator.openshift.io/cluster (a merge patch), wait until
the image registry operator has created Route openshift-image-registry/default-route
and a router has given it a host, then print the host and the login command
to use. --disable sets spec.defaultRoute to false and waits until the route
is gone.

When the config already says so, nothing is changed (exit 0, "unchanged").
Patching the operator's config needs a cluster admin. --dry-run=client sends
nothing; --dry-run=server sends the patch with dryRun=All.`,
		Example: `  oc-registry expose
  oc-registry expose -o json | jq -r .host
  oc-registry expose --disable
  oc-registry expose --dry-run=server`,
		Args: cobra.NoArgs,
		RunE: runE(f, o),
	}
	cmd.Flags().BoolVar(&o.Disable, "disable", false, "Remove the default route (spec.defaultRoute false).")
	cmd.Flags().DurationVar(&o.Timeout, "timeout", 2*time.Minute, "Give up waiting for the operator after this long.")
	cmd.Flags().StringVar(&o.DryRunFlag, "dry-run", "none", `"client" says what would change without sending it; "server" sends the patch with dryRun=All.`)
	cmd.Flags().Lookup("dry-run").NoOptDefVal = status.DryRunClient
	o.Flags.AddFlags(cmd.Flags()) // the JSON schema is in docs/status.md
	return cmd
}

// Validate checks the flags before anything is sent.
func (o *ExposeOptions) Validate() error {
	switch o.DryRunFlag {
	case status.DryRunNone, status.DryRunClient, status.DryRunServer:
	default:
		return clierr.Usagef("--dry-run must be none, client or server, not %q", o.DryRunFlag)
	}
	if o.Timeout <= 0 {
		return clierr.Usagef("--timeout must be positive")
	}
	return usageIfErr(o.Flags.Validate())
}

// Complete builds the client.
func (o *ExposeOptions) Complete(f Factory, cmd *cobra.Command, _ []string) error {
	o.program = programName(cmd)
	clients, err := f.KubeClients()
	if err != nil {
		return err
	}
	o.dyn = clients.Dynamic
	return nil
}

// Run patches, waits and prints.
func (o *ExposeOptions) Run(ctx context.Context) error {
	res, err := status.Expose(ctx, o.dyn, status.ExposeOptions{Enable: !o.Disable, DryRun: o.DryRunFlag, Timeout: o.Timeout, Progress: o.ErrOut})
	switch {
	case errors.Is(err, status.ErrNoOperator):
		return &clierr.Error{Err: err, Code: clierr.CodeNotInstalled,
			Hint: "expose needs OpenShift's image registry operator; elsewhere, expose the registry's service with your own ingress"}
	case apierrors.IsForbidden(err):
		return clierr.WithHint(err, "changing the registry operator's config needs a cluster admin (patch on %s)", status.OperatorConfig)
	case err != nil:
		return clierr.WithHint(err, "see what the operator reports: %s status", o.program)
	}
	for _, w := range res.Warnings {
		warnf(o.ErrOut, "%s", w)
	}
	out := ExposeOutput{ExposeResult: *res}
	if res.Host != "" {
		out.Login = fmt.Sprintf("%s login --registry %s", o.program, res.Host)
	}
	return output.Print(o.Out, o.Format, out, func(w io.Writer) error {
		state := "changed"
		if !res.Changed {
			state = "unchanged"
		}
		switch {
		case res.DryRun != status.DryRunNone && res.Changed:
			fmt.Fprintf(w, "would set spec.defaultRoute to %t (dry run: nothing changed)\n", res.DefaultRoute)
		case res.DryRun != status.DryRunNone:
			fmt.Fprintf(w, "unchanged: spec.defaultRoute is %t already (dry run)\n", res.DefaultRoute)
		case !res.DefaultRoute:
			fmt.Fprintf(w, "%s: the registry is not exposed (route %s is gone)\n", state, res.Route)
		case res.Host != "":
			fmt.Fprintf(w, "%s: the registry is exposed at %s (route %s)\n", state, res.Host, res.Route)
		default:
			fmt.Fprintf(w, "%s: spec.defaultRoute is true\n", state)
		}
		if out.Login != "" {
			fmt.Fprintf(w, "log in with: %s\n", out.Login)
		}
		return nil
	})
}
