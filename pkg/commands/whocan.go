package commands

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/oc-registry/oc-registry/pkg/output"
	"github.com/oc-registry/oc-registry/pkg/rbac"
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// WhoCanOptions lists who holds a registry permission.
type WhoCanOptions struct {
	output.Flags
	NoHeaders     bool
	IncludeSystem bool

	permissionArgs
	genericiooptions.IOStreams
}

// WhoCanResult is the stable shape of `who-can -o json`.
type WhoCanResult struct {
	Permission rbac.Permission `json:"permission"`
	Namespace  string          `json:"namespace,omitempty"`
	Holders    []rbac.Holder   `json:"holders"`
}

// NewCmdWhoCan builds `who-can pull|push|metrics`.
func NewCmdWhoCan(f Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &WhoCanOptions{IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "who-can pull|push|metrics [-n PROJECT]",
		Short: "List who may pull, push or read metrics, and through which binding",
		Long: `List the users, groups and service accounts that hold a registry permission,
with the RoleBinding or ClusterRoleBinding and the role that gives it.

It reads the cluster's RBAC objects and matches role rules the way the
registry asks: pull is get, push is update on imagestreams/layers; metrics is
get on registry/metrics. Custom and aggregated roles count when their rules
match. Superusers (group system:masters) appear through cluster-admin.
Kubernetes controllers' own bindings (system:controller:*, such as the
garbage collector's) are left out, and counted on stderr; --include-system
lists them too.

-o json|yaml prints {"permission", "namespace", "holders": [{"subject": {"kind",
"name", "namespace"}, "binding", "role", "managedByOcRegistry"}]}; holders is []
when nobody holds it.`,
		Example: `  oc-registry who-can push -n team-a
  oc-registry who-can metrics -o json`,
		ValidArgs: []string{"pull", "push", "metrics"},
		Args:      cobra.ExactArgs(1),
		RunE:      runE(f, o),
	}
	o.Flags.AddFlags(cmd.Flags())
	cmd.Flags().BoolVar(&o.NoHeaders, "no-headers", false, "Print the table without its header line.")
	cmd.Flags().BoolVar(&o.IncludeSystem, "include-system", false, "Also list the holders through Kubernetes controllers' bindings (system:controller:*).")
	return cmd
}

// Complete parses the permission and builds clients.
func (o *WhoCanOptions) Complete(f Factory, _ *cobra.Command, args []string) error {
	return o.complete(f, args[0])
}

// Validate checks the flags.
func (o *WhoCanOptions) Validate() error { return usageIfErr(o.Flags.Validate()) }

// Run prints the holders.
func (o *WhoCanOptions) Run(ctx context.Context) error {
	ns := o.namespace
	if o.permission != rbac.Metrics {
		if !o.explicit {
			noteProject(o.ErrOut, ns)
		}
		if err := checkProject(ctx, o.client, ns); err != nil {
			return err
		}
	}
	holders, err := o.client.WhoCanIn(ctx, rbac.Attributes(o.permission, ns, ""))
	if err != nil {
		return err
	}
	if !o.IncludeSystem {
		var hidden int
		if holders, hidden = rbac.HideSystem(holders); hidden > 0 {
			fmt.Fprintf(o.ErrOut, "%d more through Kubernetes controllers' bindings (system:controller:*): --include-system lists them\n", hidden)
		}
	}
	res := WhoCanResult{Permission: o.permission, Namespace: ns, Holders: holders}
	if res.Holders == nil {
		res.Holders = []rbac.Holder{}
	}
	return o.Print(o.Out, res, func(w io.Writer) error {
		if len(holders) == 0 {
			_, err := fmt.Fprintln(w, "nobody")
			return err
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		if !o.NoHeaders {
			fmt.Fprintln(tw, "SUBJECT\tKIND\tBINDING\tROLE")
		}
		for _, h := range holders {
			name := h.Subject.Name
			if h.Subject.Kind == "ServiceAccount" {
				name = h.Subject.Namespace + ":" + h.Subject.Name
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", name, h.Subject.Kind, h.Binding, h.Role)
		}
		return tw.Flush()
	})
}
