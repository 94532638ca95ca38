package commands

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/oc-registry/oc-registry/pkg/auth"
	"github.com/oc-registry/oc-registry/pkg/clierr"
	"github.com/oc-registry/oc-registry/pkg/kube"
	"github.com/spf13/cobra"
	"golang.org/x/term"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// TokenOptions prints a registry token for piping into other tools.
type TokenOptions struct {
	ServiceAccount string
	Duration       time.Duration
	Show           bool

	kf *kube.Flags
	genericiooptions.IOStreams
}

// NewCmdToken builds `token`.
func NewCmdToken(kf *kube.Flags, streams genericiooptions.IOStreams) *cobra.Command {
	o := &TokenOptions{kf: kf, IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "token [-z SERVICEACCOUNT --duration D]",
		Short: "Print a registry token for piping (refuses a terminal unless --show)",
		Long: `Print the token of your kubeconfig user, or a fresh service account token from
the TokenRequest API, on stdout, for tools that read a password on stdin.
To keep it out of scrollback it refuses to print to a terminal unless --show.`,
		Example: `  oc-registry token | podman login --username x --password-stdin "$(oc-registry info -q)"
  oc-registry token -z ci:pipeline --duration 30m | skopeo login --username x --password-stdin REGISTRY`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVarP(&o.ServiceAccount, "service-account", "z", "", "Service account NAMESPACE:NAME (or NAME in the current namespace).")
	cmd.Flags().DurationVar(&o.Duration, "duration", time.Hour, "Lifetime of a service account token (10m or more).")
	cmd.Flags().BoolVar(&o.Show, "show", false, "Print even when stdout is a terminal.")
	return cmd
}

// Run prints the token.
func (o *TokenOptions) Run(ctx context.Context) error {
	if f, ok := o.Out.(*os.File); ok && term.IsTerminal(int(f.Fd())) && !o.Show {
		return clierr.WithHint(clierr.Usagef("refusing to print a token to a terminal"),
			"pipe it into the tool that needs it, or pass --show")
	}
	clients, err := o.kf.Clients()
	if err != nil {
		return err
	}
	var token string
	if o.ServiceAccount != "" {
		if o.Duration < 10*time.Minute {
			return clierr.Usagef("--duration %s is too short: the API server issues tokens for 10m or more", o.Duration)
		}
		ns, _, err := o.kf.Namespace()
		if err != nil {
			return err
		}
		saNS, saName, err := parseServiceAccountFlag(o.ServiceAccount, ns)
		if err != nil {
			return err
		}
		err = kube.Quiet(func() error {
			token, _, err = auth.ServiceAccountToken(ctx, clients.Core, saNS, saName, o.Duration)
			return err
		})
		if err != nil {
			return err
		}
	} else if token, err = auth.BearerToken(clients.Config); err != nil {
		return err
	}
	_, err = fmt.Fprintln(o.Out, token)
	return err
}
