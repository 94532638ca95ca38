// Package kube builds Kubernetes clients from kubectl-compatible flags. It
// binds client-go's clientcmd override flags instead of cli-runtime's
// ConfigFlags: the same flag names, without kustomize and the resource builder
// at start-up (see bench/startup.sh).
package kube

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/oc-registry/oc-registry/pkg/clierr"
	"github.com/oc-registry/oc-registry/pkg/version"
	"github.com/spf13/pflag"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	// Exec and OIDC credential plugins, as kubectl has them.
	_ "k8s.io/client-go/plugin/pkg/client/auth"
)

// Flags are the standard kube flags and the client config built from them.
type Flags struct {
	Kubeconfig string
	Overrides  clientcmd.ConfigOverrides

	config clientcmd.ClientConfig
}

// AddFlags binds the flags under kubectl's names.
func (f *Flags) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&f.Kubeconfig, clientcmd.RecommendedConfigPathFlag, "", "Path to the kubeconfig file to use for CLI requests.")
	names := clientcmd.RecommendedConfigOverrideFlags("")
	// Basic auth to the API server is gone from Kubernetes, and --username
	// belongs to login (the registry user name).
	names.AuthOverrideFlags.Username.LongName = ""
	names.AuthOverrideFlags.Password.LongName = ""
	names.ContextOverrideFlags.Namespace.ShortName = "n"
	names.ClusterOverrideFlags.APIServer.ShortName = "s"
	clientcmd.BindOverrideFlags(&f.Overrides, fs, names)
}

// ClientConfig returns the merged kubeconfig with flag overrides applied.
func (f *Flags) ClientConfig() clientcmd.ClientConfig {
	if f.config == nil {
		rules := clientcmd.NewDefaultClientConfigLoadingRules()
		rules.ExplicitPath = f.Kubeconfig
		f.config = clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &f.Overrides)
	}
	return f.config
}

// RESTConfig returns a REST config, with errors that say which file or
// setting is wrong and what to do.
func (f *Flags) RESTConfig() (*rest.Config, error) {
	if err := f.checkFile(); err != nil {
		return nil, err
	}
	cfg, err := f.ClientConfig().ClientConfig()
	if err != nil {
		return nil, explainConfigError(err)
	}
	cfg.UserAgent = "oc-registry/" + version.Version
	return cfg, nil
}

// RawConfig returns the merged kubeconfig before overrides.
func (f *Flags) RawConfig() (clientcmdapi.Config, error) {
	if err := f.checkFile(); err != nil {
		return clientcmdapi.Config{}, err
	}
	cfg, err := f.ClientConfig().RawConfig()
	if err != nil {
		return cfg, explainConfigError(err)
	}
	return cfg, nil
}

// Namespace returns the namespace from -n or the current context, and
// whether it was set explicitly.
func (f *Flags) Namespace() (string, bool, error) {
	if err := f.checkFile(); err != nil {
		return "", false, err
	}
	ns, explicit, err := f.ClientConfig().Namespace()
	if err != nil {
		return "", false, explainConfigError(err)
	}
	return ns, explicit, nil
}

// checkFile names the kubeconfig file when --kubeconfig or $KUBECONFIG
// points at nothing, instead of client-go's bare stat error.
func (f *Flags) checkFile() error {
	paths := []string{f.Kubeconfig}
	if f.Kubeconfig == "" {
		paths = filepath.SplitList(os.Getenv(clientcmd.RecommendedConfigPathEnvVar))
		if len(paths) != 1 {
			return nil // several files: client-go skips missing ones
		}
	}
	p := paths[0]
	if p == "" {
		return nil
	}
	if _, err := os.Stat(p); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return clierr.WithHint(fmt.Errorf("kubeconfig %q: file not found", p),
				"check --kubeconfig or $KUBECONFIG, or log in with 'oc login' to create one")
		}
		return fmt.Errorf("kubeconfig %q: %w", p, err)
	}
	return nil
}

func explainConfigError(err error) error {
	if clientcmd.IsEmptyConfig(err) {
		return &clierr.Error{
			Err:  errors.New("no cluster configured: no kubeconfig found in $KUBECONFIG or ~/.kube/config"),
			Hint: "log in with 'oc login <server>', or pass --kubeconfig",
			Code: clierr.CodeUnauthorized,
		}
	}
	if clientcmd.IsContextNotFound(err) {
		return clierr.WithHint(err, "list contexts with 'kubectl config get-contexts'")
	}
	return fmt.Errorf("loading kubeconfig: %w", err)
}
