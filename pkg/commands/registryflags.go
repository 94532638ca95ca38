package commands

import (
	"context"
	"errors"
	"time"

	"github.com/oc-registry/oc-registry/pkg/auth"
	"github.com/oc-registry/oc-registry/pkg/clierr"
	"github.com/oc-registry/oc-registry/pkg/cluster"
	"github.com/oc-registry/oc-registry/pkg/kube"
	"github.com/oc-registry/oc-registry/pkg/registry"
	"github.com/spf13/cobra"
)

// registryTarget is how login, logout, info and push pick the registry
// host: --registry, or the cluster's records (--internal, --public, or the
// public host when it answers, else the internal one).
type registryTarget struct {
	Registry    string
	Internal    bool
	Public      bool
	AllowRealms []string

	host   string
	source string
	info   *cluster.Registry
	// namespace is the current project, whose image streams discovery
	// reads first (as oc registry info does); "" when not known.
	namespace string
}

func (t *registryTarget) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&t.Registry, "registry", "", "Registry host[:port]; default: found from the cluster (image config, default route, service).")
	cmd.Flags().BoolVar(&t.Internal, "internal", false, "Use the internal registry host (status.internalRegistryHostname).")
	cmd.Flags().BoolVar(&t.Public, "public", false, "Use the public registry host (externalRegistryHostnames or the default route).")
	cmd.Flags().StringSliceVar(&t.AllowRealms, "allow-realm", nil, "Send your token to this token-realm host too, when the registry's challenge names one other than itself (repeatable).")
}

// complete normalizes --registry: a malformed host is a usage error.
func (t *registryTarget) complete() error {
	if t.Registry == "" {
		return nil
	}
	h, err := registry.NormalizeHost(t.Registry, "--registry")
	if err != nil {
		return &clierr.Error{Err: err, Code: clierr.CodeUsage, Hint: "give host[:port], e.g. default-route-openshift-image-registry.apps.example.com"}
	}
	t.Registry = h
	return nil
}

// check validates the flag combination, without changing anything
// (--registry itself was checked by complete).
func (t *registryTarget) check() error {
	if t.Internal && t.Public {
		return clierr.Usagef("--internal and --public are mutually exclusive")
	}
	if t.Registry != "" && (t.Internal || t.Public) {
		return clierr.Usagef("--registry cannot be combined with --internal or --public")
	}
	for _, h := range t.AllowRealms {
		if err := registry.ValidateHost(h, "--allow-realm"); err != nil {
			return clierr.WithCode(clierr.CodeUsage, err)
		}
	}
	return nil
}

// validate is complete and check, for the commands whose Validate still
// comes first (push, tag, doctor, metrics).
func (t *registryTarget) validate() error {
	if err := t.check(); err != nil {
		return err
	}
	return t.complete()
}

// resolve finds the host. clients may be nil when --registry is given.
func (t *registryTarget) resolve(ctx context.Context, clients *kube.Clients) error {
	if t.Registry != "" {
		t.host, t.source = t.Registry, "--registry"
		return nil
	}
	if clients == nil {
		return errors.New("no registry host: pass --registry")
	}
	prefer := ""
	switch {
	case t.Internal:
		prefer = "internal"
	case t.Public:
		prefer = "public"
	}
	info, c, err := cluster.Find(ctx, clients.Dynamic, clients.Core, t.namespace, prefer,
		func(h string) bool { return cluster.Reachable(h, 2*time.Second) })
	if info == nil && err != nil {
		return err
	}
	t.info = info
	if err != nil {
		return clierr.WithHint(err, "pass --registry HOST")
	}
	t.host, t.source = c.Host, c.Source
	return nil
}

// resolveLoggedIn finds the host for commands that use credentials (push,
// tag, logout), by cluster.LastLogin and Registry.WithCredentials.
func (t *registryTarget) resolveLoggedIn(ctx context.Context, clients *kube.Clients, file auth.AuthFile) error {
	explicit := t.Registry != "" || t.Internal || t.Public
	has := func(h string) bool { _, ok := file.Get(h); return ok }
	if !explicit && clients != nil {
		if rec, err := auth.LoadRecord(); err == nil {
			if c, ok := cluster.LastLogin(rec.Servers[clients.Config.Host], has); ok {
				t.host, t.source = c.Host, c.Source
				return nil
			}
		}
	}
	if err := t.resolve(ctx, clients); err != nil {
		return err
	}
	if explicit || t.info == nil {
		return nil
	}
	c := t.info.WithCredentials(cluster.Choice{Host: t.host, Source: t.source}, has)
	t.host, t.source = c.Host, c.Source
	return nil
}
