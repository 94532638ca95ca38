package commands

import (
	"context"
	"time"

	"github.com/oc-registry/oc-registry/pkg/complete"
	"github.com/oc-registry/oc-registry/pkg/kube"
	"github.com/oc-registry/oc-registry/pkg/rbac"
	"github.com/spf13/cobra"
	"k8s.io/client-go/dynamic"
	coreclient "k8s.io/client-go/kubernetes/typed/core/v1"
	rbacclient "k8s.io/client-go/kubernetes/typed/rbac/v1"
)

// CompletionShim is the executable kubectl (1.26 and later) and oc run to
// complete `kubectl image-registry ...`: it must run
// `kubectl-image_registry __complete "$@"`. `make install` installs it and
// the release archives ship it.
const CompletionShim = "kubectl_complete-image_registry"

// completionTimeout bounds the cluster reads of one TAB: a shell that hangs
// is worse than one that offers nothing.
const completionTimeout = 5 * time.Second

const completionLong = `Generate the autocompletion script for oc-registry for the specified shell.
See each sub-command's help for details on how to use the generated script.

As a plugin ('oc image-registry', 'kubectl image-registry'), completion goes
through kubectl's and oc's own: put the executable ` + CompletionShim + `
(make install does, and the release archives ship it) on PATH next to
kubectl-image_registry; kubectl 1.26 and later runs it on <TAB>.

Completed from the cluster: projects for -n, role names, the subjects bound
to a role for revoke, PROJECT/NAME:TAG from image streams for push, tag and
doctor, service accounts for login -z; metric family names for metrics.`

// registerCompletions adds the completion command and the dynamic
// completions to the tree. It is the one place that knows which argument of
// which command completes to what, so that the command files stay as they
// are.
func registerCompletions(root *cobra.Command, kf *kube.Flags) {
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			c.Long = completionLong
		}
	}
	cc := &completer{kf: kf}

	_ = root.RegisterFlagCompletionFunc("namespace", func(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		return cc.clients(cmd).Namespaces(cc.ctx(cmd), toComplete), cobra.ShellCompDirectiveNoFileComp
	})
	_ = root.RegisterFlagCompletionFunc("context", func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		cfg, err := kf.RawConfig()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var names []string
		for n := range cfg.Contexts {
			names = append(names, n)
		}
		return complete.Filter(names, toComplete), cobra.ShellCompDirectiveNoFileComp
	})

	roles := append(rbac.RoleNames(), "metrics")
	for _, c := range root.Commands() {
		switch c.Name() {
		case "grant":
			c.ValidArgsFunction = func(_ *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
				if len(args) == 0 {
					return complete.Filter(roles, toComplete), cobra.ShellCompDirectiveNoFileComp
				}
				// Anyone may be granted a role: there is no list to offer.
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
		case "revoke":
			c.ValidArgsFunction = func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
				if len(args) == 0 {
					return complete.Filter(roles, toComplete), cobra.ShellCompDirectiveNoFileComp
				}
				words := cc.clients(cmd).BoundSubjects(cc.ctx(cmd), args[0], cc.namespace(), complete.AsArgument, toComplete)
				return without(words, args[1:]), cobra.ShellCompDirectiveNoFileComp
			}
			for flag, form := range map[string]int{"group": complete.AsGroupFlag, "serviceaccount": complete.AsServiceAccountFlag} {
				form := form
				_ = c.RegisterFlagCompletionFunc(flag, func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
					if len(args) == 0 {
						return nil, cobra.ShellCompDirectiveNoFileComp
					}
					return cc.clients(cmd).BoundSubjects(cc.ctx(cmd), args[0], cc.namespace(), form, toComplete), cobra.ShellCompDirectiveNoFileComp
				})
			}
		case "push":
			c.ValidArgsFunction = func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
				switch len(args) {
				case 0: // SOURCE: a directory or file (oci:DIR, an archive)
					return nil, cobra.ShellCompDirectiveDefault
				case 1:
					return cc.streamTargets(cmd, toComplete)
				}
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
		case "tag":
			c.ValidArgsFunction = func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
				if len(args) < 2 {
					return cc.streamTargets(cmd, toComplete)
				}
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
		case "doctor":
			c.ValidArgsFunction = func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
				if len(args) == 0 {
					return cc.streamTargets(cmd, toComplete)
				}
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			_ = c.RegisterFlagCompletionFunc("as-robot", cc.serviceAccounts)
		case "login":
			_ = c.RegisterFlagCompletionFunc("service-account", cc.serviceAccounts)
		case "metrics":
			c.ValidArgsFunction = func(_ *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
				return complete.Families(toComplete, args), cobra.ShellCompDirectiveNoFileComp
			}
		}
	}
}

// completer builds the clients once per completion, after cobra has parsed
// --kubeconfig, --context, --as and the rest into kf.
type completer struct {
	kf      *kube.Flags
	c       *complete.Clients
	context context.Context
	cancel  context.CancelFunc
}

func (cc *completer) ctx(cmd *cobra.Command) context.Context {
	if cc.context == nil {
		ctx := cmd.Context()
		if ctx == nil {
			ctx = context.Background()
		}
		// One deadline for the whole completion; the process ends
		// right after it, so cancel is kept only to satisfy the API.
		cc.context, cc.cancel = context.WithTimeout(ctx, completionTimeout)
	}
	return cc.context
}

func (cc *completer) namespace() string {
	ns, _, err := cc.kf.Namespace()
	if err != nil {
		return ""
	}
	return ns
}

func (cc *completer) clients(_ *cobra.Command) complete.Clients {
	if cc.c != nil {
		return *cc.c
	}
	c := complete.Clients{Current: cc.namespace()}
	cfg, err := cc.kf.RESTConfig()
	if err != nil {
		cobra.CompDebugln("completion: "+err.Error(), true)
		cc.c = &c
		return c
	}
	cfg.Timeout = completionTimeout
	if core, err := coreclient.NewForConfig(cfg); err == nil {
		c.Core = core
	}
	if r, err := rbacclient.NewForConfig(cfg); err == nil {
		c.RBAC = r
	}
	if d, err := dynamic.NewForConfig(cfg); err == nil {
		c.Dynamic = d
	}
	cc.c = &c
	return c
}

func (cc *completer) streamTargets(cmd *cobra.Command, toComplete string) ([]string, cobra.ShellCompDirective) {
	words, more := cc.clients(cmd).StreamTargets(cc.ctx(cmd), toComplete)
	if more {
		return words, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
	return words, cobra.ShellCompDirectiveNoFileComp
}

func (cc *completer) serviceAccounts(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	words, more := cc.clients(cmd).ServiceAccounts(cc.ctx(cmd), cc.namespace(), toComplete)
	if more {
		return words, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
	return words, cobra.ShellCompDirectiveNoFileComp
}

// without drops the words already on the command line.
func without(words, given []string) []string {
	var out []string
	for _, w := range words {
		found := false
		for _, g := range given {
			found = found || g == w
		}
		if !found {
			out = append(out, w)
		}
	}
	return out
}
