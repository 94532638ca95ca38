package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/oc-registry/oc-registry/pkg/auth"
	"github.com/oc-registry/oc-registry/pkg/clierr"
	"github.com/oc-registry/oc-registry/pkg/cluster"
	"github.com/oc-registry/oc-registry/pkg/kube"
	"github.com/oc-registry/oc-registry/pkg/rbac"
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

// serviceAccountFlag parses -z/--service-account: NAMESPACE:NAME, or NAME
// in the current namespace.
func parseServiceAccountFlag(v, namespace string) (string, string, error) {
	if v == "" {
		return "", "", nil
	}
	if !strings.Contains(v, ":") {
		v = namespace + ":" + v
	}
	s, err := rbac.ParseServiceAccount(v)
	if err != nil {
		return "", "", clierr.WithCode(clierr.CodeUsage, err)
	}
	return s.Namespace, s.Name, nil
}

// checkServiceAccountFlag checks the form of -z/--service-account without
// the current project: NAMESPACE:NAME, or a bare NAME.
func checkServiceAccountFlag(v string) error {
	_, _, err := parseServiceAccountFlag(v, "default")
	return err
}

// explainCheck adds the hint and exit code for a failed credential check.
func explainCheck(err error, host, name string) error { return explainCheckFor(err, host, name, true) }

// explainCheckFor is explainCheck; login's hints may name its --insecure
// and --skip-check, other commands' may not.
func explainCheckFor(err error, host, name string, login bool) error {
	cause := registry.CauseOf(err)
	switch {
	case cause == registry.CauseUnauthorized:
		return &clierr.Error{Err: fmt.Errorf("token rejected by %s: %w", host, err), Code: clierr.CodeUnauthorized,
			Hint: "your token has expired or was revoked: run 'oc login' (or use --service-account for a robot token)"}
	case cause == registry.CauseDenied:
		return &clierr.Error{Err: err, Code: clierr.CodeForbidden,
			Hint: "your token works, but you lack the permission: ask for a registry role (" + name + " can-i pull -n PROJECT)"}
	case cause == registry.CauseTLS && login:
		return clierr.WithHint(err, "trust the registry's CA with --ca-file FILE (login installs the cluster's CA when it publishes one), or pass --insecure to skip verification (not recommended)")
	case cause == registry.CauseTLS:
		return clierr.WithHint(err, "trust the registry's CA with --ca-file FILE, or log in first: login installs the CA it checked")
	case cause == registry.CauseUnreachable && login:
		return clierr.WithHint(err, "check the host name and your network; pass --registry to choose another host, or --skip-check to write the credentials anyway")
	case cause == registry.CauseUnreachable:
		return clierr.WithHint(err, "check the host name and your network; pass --registry to choose another host")
	case cause == registry.CauseNotRegistry:
		return clierr.WithHint(err, "check --registry: it should be the registry host, without a path")
	case cause == registry.CausePolicy:
		return clierr.WithHint(err, "the registry sent your credentials elsewhere; nothing was written. See docs/security.md")
	}
	return err
}

func readFileFlag(name, path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, clierr.WithCode(clierr.CodeUsage, fmt.Errorf("%s: %w", name, err))
	}
	return b, nil
}

func humanDuration(d time.Duration) string {
	if d < 0 {
		return "expired"
	}
	d = d.Round(time.Minute)
	if d < time.Minute {
		return "less than a minute"
	}
	return strings.TrimSuffix(d.String(), "0s")
}

func warnf(w io.Writer, format string, a ...any) { fmt.Fprintf(w, "warning: "+format+"\n", a...) }
