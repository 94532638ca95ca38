package commands

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/oc-registry/oc-registry/pkg/auth"
	"github.com/oc-registry/oc-registry/pkg/clierr"
	"github.com/oc-registry/oc-registry/pkg/kube"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// TokenOptions prints a registry token for piping into other tools.
type TokenOptions struct {
	ServiceAccount string
	Duration       time.Duration
	Show           bool

	clients   *kube.Clients
	namespace string
	genericiooptions.IOStreams
}

// NewCmdToken builds `token`.
func NewCmdToken(f Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &TokenOptions{IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "token [-z SERVICEACCOUNT --duration D]",
		Short: "Print a registry token for piping (refuses a terminal unless --show)",
		Long: `Print the token of your kubeconfig user, or a fresh service account token from
the TokenRequest API, on stdout, for tools that read a password on stdin.
To keep it out of scrollback it refuses to print to a terminal unless --show.`,
		Example: `  oc-registry token | podman login --username x --password-stdin "$(oc-registry info -q)"
  oc-registry token -z ci:pipeline --duration 30m | skopeo login --username x --password-stdin REGISTRY`,
		Args: cobra.NoArgs,
		RunE: runE(f, o),
	}
	addServiceAccountFlag(cmd, func(fs *pflag.FlagSet, name, short, usage string) {
		fs.StringVarP(&o.ServiceAccount, name, short, "", usage)
	}, "Service account NAMESPACE:NAME (or NAME in the current namespace).")
	cmd.Flags().DurationVar(&o.Duration, "duration", defaultTokenDuration, "Lifetime of a service account token (10m or more).")
	cmd.Flags().BoolVar(&o.Show, "show", false, "Print even when stdout is a terminal.")
	return cmd
}

// Complete builds the clients, and reads the project for a bare -z NAME.
func (o *TokenOptions) Complete(f Factory, _ *cobra.Command, _ []string) error {
	var err error
	if o.clients, err = f.KubeClients(); err != nil {
		return err
	}
	if o.ServiceAccount != "" && !strings.Contains(o.ServiceAccount, ":") {
		o.namespace, _, err = f.Namespace()
	}
	return err
}

// Validate checks the flags, and refuses a terminal.
func (o *TokenOptions) Validate() error {
	if f, ok := o.Out.(*os.File); ok && term.IsTerminal(int(f.Fd())) && !o.Show {
		return clierr.WithHint(clierr.Usagef("refusing to print a token to a terminal"),
			"pipe it into the tool that needs it, or pass --show")
	}
	if err := checkServiceAccountFlag(o.ServiceAccount); err != nil {
		return err
	}
	if o.ServiceAccount != "" && o.Duration < 10*time.Minute {
		return clierr.Usagef("--duration %s is too short: the API server issues tokens for 10m or more", o.Duration)
	}
	return nil
}

// Run prints the token.
func (o *TokenOptions) Run(ctx context.Context) error {
	var token string
	var err error
	if o.ServiceAccount != "" {
		saNS, saName, err := parseServiceAccountFlag(o.ServiceAccount, o.namespace)
		if err != nil {
			return err
		}
		token, _, err = auth.ServiceAccountToken(kube.Quiet(ctx), o.clients.Core, saNS, saName, o.Duration)
		if err != nil {
			return err
		}
	} else if token, err = auth.BearerToken(o.clients.Config); err != nil {
		return err
	}
	_, err = fmt.Fprintln(o.Out, token)
	return err
}
