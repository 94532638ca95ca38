package commands

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/oc-registry/oc-registry/pkg/clierr"
	"github.com/oc-registry/oc-registry/pkg/rbac"
	"github.com/spf13/cobra"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// GrantOptions grants a registry role to users, groups or service accounts.
type GrantOptions struct {
	roleArgs
	CreateRole  bool
	MetricsRole string
	genericiooptions.IOStreams
}

const grantLong = `Grant a registry role in a project, or metrics access cluster-wide.

oc-registry keeps one RoleBinding per role and project, named
oc-registry-ROLE and labelled app.kubernetes.io/managed-by=oc-registry.
Granting again adds only the subjects that are missing. After the change it
asks the API server (SubjectAccessReview) whether each subject now has the
permission, and prints the answer (on stderr with -o, whose stdout is the
binding alone, as kubectl prints it: -o yaml, json, name or
jsonpath=TEMPLATE).

Roles:
` + "%s" + `
SUBJECT is a user name, "system:serviceaccounts:PROJECT" (every service
account of a project) or "system:serviceaccount:PROJECT:NAME"; use --group
and --service-account (-z) NAMESPACE:NAME for the others. Each flag takes
one name: repeat it for more.`

const grantExample = `  # Let alice push to project "team-a" (what registry-editor gives)
  oc-registry grant editor alice -n team-a

  # Let a CI robot from another namespace push new images into team-a
  oc-registry grant builder -z ci:pipeline -n team-a

  # Every service account in team-b may pull from team-a
  oc-registry grant viewer system:serviceaccounts:team-b -n team-a

  # Let prometheus' user scrape /extensions/v2/metrics
  oc-registry grant metrics prom-scraper

  # Show the RoleBinding without changing anything
  oc-registry grant editor alice bob -n team-a --dry-run -o yaml`

// NewCmdGrant builds `grant ROLE SUBJECT...`.
func NewCmdGrant(f Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &GrantOptions{IOStreams: streams}
	o.Objects = true
	cmd := &cobra.Command{
		Use:               "grant ROLE [SUBJECT...] [-n PROJECT]",
		Short:             "Grant a registry role (viewer, editor, builder, pusher, puller, admin, metrics)",
		Long:              fmt.Sprintf(grantLong, rbac.Describe()),
		Example:           grantExample,
		ValidArgsFunction: completeRoles,
		RunE:              runE(f, o),
	}
	o.addFlags(cmd)
	return cmd
}

// NewCmdGrantAlias builds grant-viewer, grant-editor, ...: `grant ROLE`.
func NewCmdGrantAlias(f Factory, streams genericiooptions.IOStreams, role string) *cobra.Command {
	o := &GrantOptions{IOStreams: streams}
	o.Objects = true
	o.RoleName = role
	cmd := &cobra.Command{
		Use:     "grant-" + role + " [SUBJECT...] [-n PROJECT]",
		Short:   fmt.Sprintf("Same as 'grant %s'", role),
		Example: fmt.Sprintf("  oc-registry grant-%s alice -n team-a", role),
		RunE:    runE(f, o),
	}
	if role == "metrics" {
		cmd.Example = "  oc-registry grant-metrics prom-scraper"
	}
	o.addFlags(cmd)
	return cmd
}

// addFlags declares grant's flags; --role only where the role can be
// metrics (grant, grant-metrics).
func (o *GrantOptions) addFlags(cmd *cobra.Command) {
	o.roleArgs.addFlags(cmd)
	o.Flags.AddFlags(cmd.Flags())
	cmd.Flags().BoolVar(&o.CreateRole, "create-role", false, "Create the ClusterRole with OpenShift's rules if the cluster lacks it.")
	if o.RoleName == "" || o.RoleName == "metrics" {
		cmd.Flags().StringVar(&o.MetricsRole, "role", "", "For metrics: the ClusterRole to bind (registry-monitoring if present, else prometheus-scraper, created as the documentation defines it).")
	}
}

// Complete parses the role and subjects and builds clients.
func (o *GrantOptions) Complete(f Factory, cmd *cobra.Command, args []string) error {
	return o.complete(f, cmd, args)
}

// Validate checks all input before anything is sent.
func (o *GrantOptions) Validate() error {
	if err := o.validate(); err != nil {
		return err
	}
	if o.MetricsRole != "" && !o.metrics {
		return clierr.Usagef("--role applies to 'grant metrics' only")
	}
	return nil
}

// Run applies the grant and verifies it.
func (o *GrantOptions) Run(ctx context.Context) error {
	o.warn(o.ErrOut)
	if o.metrics {
		return o.runMetrics(ctx)
	}
	if err := checkProject(ctx, o.client, o.namespace); err != nil {
		return err
	}
	created, err := o.client.EnsureClusterRole(ctx, o.role.ClusterRole, o.role.Rules, o.CreateRole, o.dryRun)
	if err != nil {
		return o.roleError(err, o.role.ClusterRole)
	}
	if created {
		fmt.Fprintf(o.ErrOut, "created clusterrole %s with OpenShift's rules%s\n", o.role.ClusterRole, o.dryNote())
	}
	res, err := o.client.Grant(ctx, o.role, o.namespace, o.subjects, o.dryRun)
	if err != nil {
		return explainWriteError(err, "rolebindings", o.namespace)
	}
	if !o.role.CreatesIS && o.role.Strongest() == rbac.Push {
		if o.client.NoStreamsYet(ctx, o.namespace) {
			fmt.Fprintf(o.ErrOut, "warning: project %s has no image streams yet, and pusher cannot create them: the first push of a new image will fail\nhint: grant builder (or editor) instead: %s grant builder ... -n %s\n", o.namespace, o.name, o.namespace)
		}
	}
	if o.Format != "" {
		if err := o.PrintObject(o.Out, res.Binding); err != nil {
			return err
		}
	} else {
		o.report(res.Binding.Name, "rolebinding", res.Created, res.Added)
	}
	return o.verify(ctx, o.role.Strongest())
}

func (o *GrantOptions) runMetrics(ctx context.Context) error {
	role, create, err := o.client.MetricsRole(ctx, o.MetricsRole, o.CreateRole)
	if err != nil {
		return err
	}
	roleCreated, err := o.client.EnsureClusterRole(ctx, role, []rbacv1.PolicyRule{rbac.MetricsRule}, create, o.dryRun)
	if err != nil {
		return o.roleError(err, role)
	}
	if roleCreated {
		fmt.Fprintf(o.ErrOut, "created clusterrole %s (get registry/metrics in image.openshift.io)%s\n", role, o.dryNote())
	}
	crb, added, created, err := o.client.GrantMetrics(ctx, role, o.subjects, o.dryRun)
	if err != nil {
		return explainWriteError(err, "clusterrolebindings", "")
	}
	if o.Format != "" {
		if err := o.PrintObject(o.Out, crb); err != nil {
			return err
		}
	} else {
		o.report(crb.Name, "clusterrolebinding", created, added)
	}
	return o.verify(ctx, rbac.Metrics)
}

func (o *GrantOptions) roleError(err error, role string) error {
	if errors.Is(err, rbac.ErrRoleMissing) {
		return clierr.WithHint(fmt.Errorf("cluster role %q not found: this cluster does not look like OpenShift", role),
			"add --create-role to create it with OpenShift's rules")
	}
	if apierrors.IsForbidden(err) {
		return explainWriteError(err, "clusterroles", "")
	}
	return err
}

func (o *GrantOptions) report(name, kind string, created bool, added []rbacv1.Subject) {
	where := ""
	if !o.metrics {
		where = " in project " + o.namespace
	}
	state := "updated"
	switch {
	case created:
		state = "created"
	case len(added) == 0:
		state = "unchanged"
	}
	fmt.Fprintf(o.Out, "%s/%s%s %s%s\n", kind, name, where, state, o.dryNote())
	for _, s := range added {
		fmt.Fprintf(o.Out, "  added %s\n", rbac.SubjectString(s))
	}
}

// verify asks the API server whether each subject now holds p.
func (o *GrantOptions) verify(ctx context.Context, p rbac.Permission) error {
	if o.dryRun != rbac.DryRunNone {
		return nil
	}
	a := rbac.Attributes(p, o.namespace, "")
	for _, s := range o.subjects {
		ok, err := o.client.AccessEventually(ctx, s, a, true)
		switch {
		case apierrors.IsForbidden(err):
			fmt.Fprintln(o.ErrOut, "note: could not verify (you may not create subjectaccessreviews)")
			return nil
		case err != nil:
			return fmt.Errorf("verifying the grant: %w", err)
		case ok:
			fmt.Fprintf(o.resultOut(), "%s can now %s\n", rbac.SubjectString(s), p.Phrase(o.namespace))
		default:
			fmt.Fprintf(o.ErrOut, "warning: the API server says %s still cannot %s\n", rbac.SubjectString(s), p.Phrase(o.namespace))
		}
	}
	return nil
}

// resultOut is where the text results go: stdout, unless -o gave stdout
// to the object alone.
func (o *GrantOptions) resultOut() io.Writer {
	if o.Format != "" {
		return o.ErrOut
	}
	return o.Out
}

func completeRoles(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return append(rbac.RoleNames(), "metrics"), cobra.ShellCompDirectiveNoFileComp
}
