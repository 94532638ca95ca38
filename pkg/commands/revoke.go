package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/oc-registry/oc-registry/pkg/clierr"
	"github.com/oc-registry/oc-registry/pkg/rbac"
	"github.com/spf13/cobra"
	authzv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// RevokeOptions removes subjects from registry role bindings.
type RevokeOptions struct {
	roleArgs
	AllBindings bool
	Quiet       bool
	genericiooptions.IOStreams
}

// NewCmdRevoke builds `revoke ROLE SUBJECT...`.
func NewCmdRevoke(f Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &RevokeOptions{IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "revoke ROLE [SUBJECT...] [-n PROJECT]",
		Short: "Take a registry role away from users, groups or service accounts",
		Long: `Remove subjects from the role's binding in a project (or from the metrics
binding). A binding left with no subjects is deleted.

Only bindings oc-registry created are changed. Bindings made by hand or by
'oc policy' that give the same role are listed and left alone, unless
--all-bindings is given; then each one changed is named.

-o json|yaml prints {"changes": [{"kind", "name", "namespace", "removed": [SUBJECT],
"deleted", "managedByOcRegistry"}], "stillBoundElsewhere": [{"subject", "binding",
"role", "managedByOcRegistry"}]}, where SUBJECT is {"kind", "name", "namespace"}; both
lists are [] when empty. -q prints nothing on stdout.`,
		Example: `  oc-registry revoke editor alice -n team-a
  oc-registry revoke builder -z ci:pipeline -n team-a
  oc-registry revoke metrics prom-scraper

  # Also remove alice from registry-editor bindings made with 'oc policy'
  oc-registry revoke editor alice -n team-a --all-bindings`,
		ValidArgsFunction: completeRoles,
		RunE:              runE(f, o),
	}
	o.addFlags(cmd)
	o.Flags.AddFlags(cmd.Flags())
	cmd.Flags().BoolVar(&o.AllBindings, "all-bindings", false, "Also change role bindings oc-registry did not create.")
	cmd.Flags().BoolVarP(&o.Quiet, "quiet", "q", false, "Print nothing on stdout; warnings and errors still go to stderr.")
	return cmd
}

// Complete parses the role and subjects and builds clients.
func (o *RevokeOptions) Complete(f Factory, cmd *cobra.Command, args []string) error {
	return o.complete(f, cmd, args)
}

// Validate checks all input.
func (o *RevokeOptions) Validate() error {
	if o.Quiet && o.Format != "" {
		return clierr.Usagef("-q prints nothing; it does not go with -o")
	}
	return o.validate()
}

// Run removes the subjects and reports what still grants the permission.
func (o *RevokeOptions) Run(ctx context.Context) error {
	o.warn(o.ErrOut)
	var res *rbac.RevokeResult
	if o.metrics {
		ch, err := o.client.RevokeMetrics(ctx, o.subjects, o.dryRun)
		if err != nil {
			return explainWriteError(err, "clusterrolebindings", "")
		}
		res = rbac.NewRevokeResult()
		if ch != nil {
			res.Changes = append(res.Changes, *ch)
		}
	} else {
		if err := checkProject(ctx, o.client, o.namespace); err != nil {
			return err
		}
		var err error
		res, err = o.client.Revoke(ctx, o.role, o.namespace, o.subjects, o.AllBindings, o.dryRun)
		if err != nil {
			return explainWriteError(err, "rolebindings", o.namespace)
		}
	}
	if o.Format != "" {
		if err := o.Print(o.Out, res, nil); err != nil {
			return err
		}
	} else if !o.Quiet {
		o.report(res)
	}
	for _, h := range res.Remaining {
		fmt.Fprintf(o.ErrOut, "warning: %s still holds %s through %s, which oc-registry did not create\n", rbac.SubjectString(h.Subject), h.Role, h.Binding)
	}
	if len(res.Remaining) > 0 {
		fmt.Fprintln(o.ErrOut, "hint: add --all-bindings to remove them there too")
	}
	return o.verify(ctx, len(res.Changes) > 0)
}

// report prints what changed, or that nothing did.
func (o *RevokeOptions) report(res *rbac.RevokeResult) {
	for _, ch := range res.Changes {
		where := ""
		if ch.Namespace != "" {
			where = " in project " + ch.Namespace
		}
		mark := ""
		if !ch.Managed {
			mark = " (not created by oc-registry; changed because of --all-bindings)"
		}
		for _, s := range ch.Removed {
			fmt.Fprintf(o.Out, "removed %s from %s/%s%s%s%s\n", rbac.SubjectString(s), lower(ch.Kind), ch.Name, where, mark, o.dryNote())
		}
		if ch.Deleted {
			fmt.Fprintf(o.Out, "deleted %s/%s%s: no subjects left%s\n", lower(ch.Kind), ch.Name, where, o.dryNote())
		}
	}
	if len(res.Changes) == 0 {
		what := "metrics"
		if !o.metrics {
			what = o.role.ClusterRole + " in project " + o.namespace
		}
		fmt.Fprintf(o.Out, "nothing to revoke: no binding from oc-registry gives them %s\n", what)
	}
}

// verify tells the user whether each subject lost the permission; other
// bindings (a group, cluster-wide roles) can still grant it. When nothing
// was removed, "nothing to revoke" has said it: only a subject that still
// has the permission is named (on stderr).
func (o *RevokeOptions) verify(ctx context.Context, changed bool) error {
	if o.dryRun != rbac.DryRunNone {
		return nil
	}
	p := rbac.Metrics
	if !o.metrics {
		p = o.role.Strongest()
	}
	a := rbac.Attributes(p, o.namespace, "")
	for _, s := range o.subjects {
		ok, err := o.client.AccessEventually(ctx, s, a, false)
		switch {
		case apierrors.IsForbidden(err):
			return nil
		case err != nil:
			return fmt.Errorf("verifying the revoke: %w", err)
		case ok:
			fmt.Fprintf(o.ErrOut, "warning: %s can still %s%s\n", rbac.SubjectString(s), p.Phrase(o.namespace), o.through(ctx, s, a, p))
		case changed && !o.Quiet && o.Format == "":
			fmt.Fprintf(o.Out, "%s can no longer %s\n", rbac.SubjectString(s), p.Phrase(o.namespace))
		}
	}
	return nil
}

// through names the bindings that still give s the permission (the access
// review says it has it), or points at who-can when only a group's or a
// role aggregated elsewhere can explain it.
func (o *RevokeOptions) through(ctx context.Context, s rbacv1.Subject, a authzv1.ResourceAttributes, p rbac.Permission) string {
	holders, err := o.client.WhoCanIn(ctx, a)
	var via []string
	for _, h := range holders {
		if err == nil && h.Subject.Kind == s.Kind && h.Subject.Name == s.Name && h.Subject.Namespace == s.Namespace {
			via = append(via, h.Binding+" ("+h.Role+")")
		}
	}
	if len(via) == 0 {
		return fmt.Sprintf(" through a group or another binding: see '%s who-can %s -n %s'", o.name, p, o.namespace)
	}
	return " through " + strings.Join(via, ", ")
}

func lower(kind string) string {
	switch kind {
	case "RoleBinding":
		return "rolebinding"
	case "ClusterRoleBinding":
		return "clusterrolebinding"
	}
	return kind
}
