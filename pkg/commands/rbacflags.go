package commands

import (
	"fmt"
	"io"
	"strings"

	"github.com/oc-registry/oc-registry/pkg/clierr"
	"github.com/oc-registry/oc-registry/pkg/kube"
	"github.com/oc-registry/oc-registry/pkg/output"
	"github.com/oc-registry/oc-registry/pkg/rbac"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	rbacv1 "k8s.io/api/rbac/v1"
)

// roleArgs holds what grant and revoke share: the role, the subjects, the
// project and --dry-run.
type roleArgs struct {
	RoleName        string
	Names           []string
	Groups          []string
	ServiceAccounts []string
	DryRunFlag      string
	output.Flags

	name      string // the display name, for hints
	role      rbac.Role
	metrics   bool
	namespace string
	explicit  bool
	subjects  []rbacv1.Subject
	warnings  []string
	dryRun    rbac.DryRun
	clients   *kube.Clients
	client    *rbac.Client
}

func (a *roleArgs) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&a.Groups, "group", nil, "Group to act on (repeatable).")
	addServiceAccountFlag(cmd, func(fs *pflag.FlagSet, name, short, usage string) {
		fs.StringArrayVarP(&a.ServiceAccounts, name, short, nil, usage)
	}, "Service account NAMESPACE:NAME to act on, in any namespace (repeatable).")
	cmd.Flags().StringVar(&a.DryRunFlag, "dry-run", "none", `"client" prints what would change without sending it; "server" sends it with dryRun=All. Give the value with "=": --dry-run=server.`)
	cmd.Flags().Lookup("dry-run").NoOptDefVal = "client"
}

// complete parses the role (unless preset by an alias) and the subjects,
// then reads the project and builds the clients.
func (a *roleArgs) complete(f Factory, cmd *cobra.Command, args []string) error {
	a.name = programName(cmd)
	if a.RoleName == "" {
		if len(args) == 0 {
			return clierr.Usagef("missing ROLE: one of %s, metrics", strings.Join(rbac.RoleNames(), ", "))
		}
		a.RoleName, args = args[0], args[1:]
	}
	a.Names = args
	if cmd.Flags().Changed("dry-run") && a.DryRunFlag == "client" {
		// --dry-run takes an optional value, so "--dry-run server" is
		// --dry-run=client and a user named "server".
		for _, n := range a.Names {
			if n == "client" || n == "server" || n == "none" {
				return clierr.WithHint(clierr.Usagef("%q after --dry-run is taken as a user name: --dry-run takes its value after \"=\"", n),
					"write --dry-run=%s", n)
			}
		}
	}
	if a.RoleName == "metrics" {
		a.metrics = true
	} else {
		r, err := rbac.LookupRole(a.RoleName)
		if err != nil {
			return clierr.WithCode(clierr.CodeUsage, err)
		}
		a.role = r
	}
	subs, warns, err := rbac.ParseSubjects(a.Names, a.Groups, a.ServiceAccounts)
	if err != nil {
		return clierr.WithCode(clierr.CodeUsage, err)
	}
	a.subjects, a.warnings = subs, warns
	a.dryRun = rbac.DryRun(a.DryRunFlag)
	if a.namespace, a.explicit, err = f.Namespace(); err != nil {
		return err
	}
	if a.clients, err = f.KubeClients(); err != nil {
		return err
	}
	a.client = rbacClient(a.clients)
	return nil
}

// validate checks every input before anything is sent, so that one bad
// subject leaves nothing half-applied.
func (a *roleArgs) validate() error {
	switch a.dryRun {
	case rbac.DryRunNone, rbac.DryRunClient, rbac.DryRunServer:
	default:
		return clierr.Usagef(`invalid --dry-run %q: use "client", "server" or "none"`, a.DryRunFlag)
	}
	if err := usageIfErr(a.Flags.Validate()); err != nil {
		return err
	}
	if !a.metrics && a.namespace == "" && a.clients != nil {
		return clierr.Usagef("no project: pass -n PROJECT")
	}
	return nil
}

func (a *roleArgs) warn(w io.Writer) {
	for _, m := range a.warnings {
		fmt.Fprintln(w, "warning:", m)
	}
	if !a.metrics && !a.explicit {
		noteProject(w, a.namespace)
	}
	if a.metrics && a.explicit {
		warnf(w, "metrics access is cluster-wide: -n %s is ignored", a.namespace)
	}
}

func (a *roleArgs) dryNote() string {
	switch a.dryRun {
	case rbac.DryRunClient:
		return " (dry run)"
	case rbac.DryRunServer:
		return " (server dry run)"
	}
	return ""
}
