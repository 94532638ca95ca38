package commands

import (
	"context"
	"os"

	"github.com/oc-registry/oc-registry/pkg/auth"
	"github.com/oc-registry/oc-registry/pkg/clierr"
	"github.com/oc-registry/oc-registry/pkg/cluster"
	"github.com/oc-registry/oc-registry/pkg/kube"
	"github.com/oc-registry/oc-registry/pkg/rbac"
	"github.com/oc-registry/oc-registry/pkg/registry"
	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"
)

// Factory is what a command's Complete builds its clients from: kubectl's
// cmdutil.Factory idea, kept to what our commands use. The real one reads
// the kube flags; tests give client-go fakes, an httptest registry and a
// temporary auth store (see factory_test.go).
type Factory interface {
	// Namespace is -n, else the kubeconfig context's namespace, and
	// whether -n was given.
	Namespace() (string, bool, error)
	// KubeClients builds the Kubernetes clients. It reads the kubeconfig
	// and sends nothing.
	KubeClients() (*kube.Clients, error)
	// KubeUser is the kubeconfig user of the current context ("" when
	// unknown): login derives the registry user name from it.
	KubeUser() string
	// Registry builds a client for the registry host cfg names.
	Registry(cfg registry.Config) (*registry.Client, error)
	// AuthStore is the record of what login wrote, for logout and for
	// choosing the host a command's credentials are for.
	AuthStore() AuthStore
}

// AuthStore is the login record (paths and hosts, never credentials).
type AuthStore interface {
	Load() (*auth.Record, error)
	Update(ctx context.Context, f func(*auth.Record)) error
}

// NewFactory is the factory over the kube flags and the user's files.
func NewFactory(kf *kube.Flags) Factory { return &flagsFactory{kf: kf} }

type flagsFactory struct{ kf *kube.Flags }

func (f *flagsFactory) Namespace() (string, bool, error)    { return f.kf.Namespace() }
func (f *flagsFactory) KubeClients() (*kube.Clients, error) { return f.kf.Clients() }

// KubeClientsWith is KubeClients with transport options (push and tag's
// preflight share one API connection).
func (f *flagsFactory) KubeClientsWith(opts ...kube.Option) (*kube.Clients, error) {
	return f.kf.Clients(opts...)
}
func (f *flagsFactory) Registry(cfg registry.Config) (*registry.Client, error) {
	return registry.New(cfg)
}
func (f *flagsFactory) AuthStore() AuthStore { return fileStore{} }

func (f *flagsFactory) KubeUser() string {
	raw, err := f.kf.RawConfig()
	if err != nil {
		return ""
	}
	name := raw.CurrentContext
	if f.kf.Overrides.CurrentContext != "" {
		name = f.kf.Overrides.CurrentContext
	}
	if c, ok := raw.Contexts[name]; ok {
		return c.AuthInfo
	}
	return ""
}

// kubeconfigSource is what doctor explains besides the clients: the file
// the configuration came from and the context used. The real factory has
// it; a fake need not.
type kubeconfigSource interface {
	KubeconfigPath() string
	KubeContext() string
}

// KubeconfigPath names the file the configuration came from, when it is one.
func (f *flagsFactory) KubeconfigPath() string {
	if f.kf.Kubeconfig != "" {
		return f.kf.Kubeconfig
	}
	if env := os.Getenv(clientcmd.RecommendedConfigPathEnvVar); env != "" {
		return env
	}
	if _, err := os.Stat(clientcmd.RecommendedHomeFile); err == nil {
		return clientcmd.RecommendedHomeFile
	}
	return ""
}

// KubeContext is the context in use: --context, else the current one.
func (f *flagsFactory) KubeContext() string {
	if c := f.kf.Overrides.CurrentContext; c != "" {
		return c
	}
	if raw, err := f.kf.RawConfig(); err == nil {
		return raw.CurrentContext
	}
	return ""
}

type fileStore struct{}

func (fileStore) Load() (*auth.Record, error) { return auth.LoadRecord() }
func (fileStore) Update(ctx context.Context, f func(*auth.Record)) error {
	return auth.UpdateRecord(ctx, f)
}

// command is the contract every command follows (docs/contributing.md):
// Complete parses arguments and builds clients from the factory, Validate
// checks the options without touching the cluster or the network, Run acts
// and prints.
type command interface {
	Complete(f Factory, cmd *cobra.Command, args []string) error
	Validate() error
	Run(ctx context.Context) error
}

// runE is the one order every command runs in. A usage error wins over a
// kubeconfig error: when Complete cannot load the kubeconfig after parsing
// the arguments, Validate still runs, and its usage error (exit 2) is what
// the user sees, as it would be with a cluster.
func runE(f Factory, o command) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if err := o.Complete(f, cmd, args); err != nil {
			if clierr.Code(err) == clierr.CodeUsage {
				return err
			}
			if verr := o.Validate(); clierr.Code(verr) == clierr.CodeUsage {
				return verr
			}
			return err
		}
		if err := o.Validate(); err != nil {
			return err
		}
		return o.Run(cmd.Context())
	}
}

// rbacClient is the rbac library over the command's clients.
func rbacClient(c *kube.Clients) *rbac.Client {
	return &rbac.Client{RBAC: c.RBAC, Authz: c.Authz, Core: c.Core, Streams: cluster.Streams{Dynamic: c.Dynamic}}
}
