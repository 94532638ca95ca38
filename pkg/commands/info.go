package commands

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/oc-registry/oc-registry/pkg/auth"
	"github.com/oc-registry/oc-registry/pkg/clierr"
	"github.com/oc-registry/oc-registry/pkg/cluster"
	"github.com/oc-registry/oc-registry/pkg/kube"
	"github.com/oc-registry/oc-registry/pkg/output"
	"github.com/oc-registry/oc-registry/pkg/registry"
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// InfoOptions shows where the registry is and whether you can use it.
type InfoOptions struct {
	registryTarget
	Check    bool
	Quiet    bool
	Timeout  time.Duration
	CAFile   string
	AuthFile string
	output.Flags

	clients     *kube.Clients
	name        string
	newRegistry func(registry.Config) (*registry.Client, error)
	genericiooptions.IOStreams
}

// InfoResult is the stable shape of `info -o json`.
type InfoResult struct {
	Registry   string            `json:"registry"`
	Source     string            `json:"source"`
	Cluster    *cluster.Registry `json:"cluster,omitempty"`
	CASource   string            `json:"caSource,omitempty"`
	Checked    bool              `json:"checked"`
	CheckError string            `json:"checkError,omitempty"`
	// What podman and skopeo will use: the auth file's entry for the host,
	// checked with only the CAs they read.
	AuthFile      string `json:"authFile,omitempty"`
	AuthChecked   bool   `json:"authFileChecked"`
	AuthFileError string `json:"authFileError,omitempty"`
	// PodmanTrustError says why podman and skopeo, which read only the
	// containers certs.d directories, would not trust the registry.
	PodmanTrustError string `json:"podmanTrustError,omitempty"`
}

// NewCmdInfo builds `info`.
func NewCmdInfo(f Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &InfoOptions{IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "info [--internal|--public] [--check]",
		Short: "Show the registry's hosts, route and CA, and check your credentials",
		Long: `Show the registry host a command would use and where it came from, the
hosts the cluster publishes (what you may not read is said to be so), the CA,
and with --check whether your token and the auth file's entry work.

-o json|yaml prints {"registry", "source", "cluster": {"internal", "public",
"route", "service", "from", "unreadable"}, "caSource", "checked", "checkError",
"authFile", "authFileChecked", "authFileError", "podmanTrustError"}.`,
		Example: `  oc-registry info
  oc-registry info --public --check
  oc-registry info -q          # print only the host, for scripts
  oc-registry info -o json`,
		Args: cobra.NoArgs,
		RunE: runE(f, o),
	}
	o.registryTarget.addFlags(cmd)
	cmd.Flags().BoolVar(&o.Check, "check", false, "Check that your current token works with the registry, and that the auth file's entry works as podman and skopeo will use it.")
	cmd.Flags().StringVarP(&o.AuthFile, "registry-config", "a", "", "Auth file to check with --check (default: $REGISTRY_AUTH_FILE, else the containers default).")
	cmd.Flags().BoolVarP(&o.Quiet, "quiet", "q", false, "Print only the registry host.")
	cmd.Flags().StringVar(&o.CAFile, "ca-file", "", "Trust this CA (PEM) when checking, besides the cluster's and the one login installed.")
	cmd.Flags().DurationVar(&o.Timeout, "timeout", 10*time.Second, "Give up on the registry after this long.")
	o.Flags.AddFlags(cmd.Flags())
	return cmd
}

// Complete normalizes --registry, builds the clients and reads the current
// project (whose image streams discovery reads first; unknown is fine).
func (o *InfoOptions) Complete(f Factory, cmd *cobra.Command, _ []string) error {
	o.newRegistry, o.name = f.Registry, programName(cmd)
	if err := o.registryTarget.complete(); err != nil {
		return err
	}
	var err error
	if o.clients, err = f.KubeClients(); err != nil {
		return err
	}
	o.registryTarget.namespace, _, _ = f.Namespace()
	return nil
}

// Validate checks the flags.
func (o *InfoOptions) Validate() error {
	if err := o.registryTarget.check(); err != nil {
		return err
	}
	if o.Timeout <= 0 {
		return clierr.Usagef("--timeout must be positive")
	}
	if o.Quiet && o.Format != "" {
		return clierr.Usagef("-q prints only the host; it does not go with -o")
	}
	return usageIfErr(o.Flags.Validate())
}

// Run prints the information.
func (o *InfoOptions) Run(ctx context.Context) error {
	clients := o.clients
	if err := o.resolve(ctx, clients); err != nil {
		return err
	}
	res := InfoResult{Registry: o.host, Source: o.source, Cluster: o.info}
	caPEM, caSource, err := cluster.FetchCA(ctx, clients.Core, o.info, o.host)
	if err != nil {
		warnf(o.ErrOut, "%v; pass it with --ca-file if TLS fails", err)
		res.CASource = "not readable by you: " + err.Error()
	}
	if caSource != "" {
		res.CASource = caSource
	}
	extra, err := readFileFlag("--ca-file", o.CAFile)
	if err != nil {
		return err
	}
	var checkErr error
	if o.Check {
		token, err := auth.BearerToken(clients.Config)
		if err != nil {
			return err
		}
		checkErr = o.check(ctx, "oc-registry", token, caPEM, extra, false)
		res.Checked = checkErr == nil
		if checkErr != nil {
			res.CheckError = checkErr.Error()
		}
		f := auth.AuthFile{Path: o.AuthFile}
		res.AuthFile = f.Resolve()
		if user, secret, ok := f.Credentials(o.host); !ok {
			res.AuthFileError = fmt.Sprintf("no entry for %s: podman and skopeo will send no credentials (run: %s login)", o.host, o.name)
		} else if err := o.check(ctx, user, secret, caPEM, extra, false); err != nil {
			res.AuthFileError = err.Error()
		} else {
			res.AuthChecked = true
			if err := o.check(ctx, user, secret, nil, nil, true); registry.CauseOf(err) == registry.CauseTLS {
				res.PodmanTrustError = "podman and skopeo do not trust its certificate: run '" + o.name + " login' (as root add --install-ca), or give them --cert-dir"
			}
		}
	}
	err = o.Print(o.Out, res, func(w io.Writer) error {
		if o.Quiet {
			_, err := fmt.Fprintln(w, res.Registry)
			return err
		}
		fmt.Fprintf(w, "registry:  %s (from %s)\n", res.Registry, res.Source)
		if c := res.Cluster; c != nil {
			fmt.Fprintf(w, "internal:  %s\n", orNone(c.Internal))
			fmt.Fprintf(w, "public:    %s\n", orNone(fmt.Sprint(c.Public)))
			fmt.Fprintf(w, "route:     %s\n", orUnknown(c.Route, slices.Contains(c.Unreadable, "route")))
			fmt.Fprintf(w, "service:   %s\n", orUnknown(c.Service, slices.Contains(c.Unreadable, "service")))
		}
		fmt.Fprintf(w, "CA:        %s\n", orNone(res.CASource))
		if o.Check {
			state := "your token works"
			if !res.Checked {
				state = "FAILED: " + res.CheckError
			}
			fmt.Fprintf(w, "check:     %s\n", state)
			state = "its entry works as podman and skopeo will use it"
			if !res.AuthChecked {
				state = "FAILED: " + res.AuthFileError
			}
			fmt.Fprintf(w, "auth file: %s: %s\n", res.AuthFile, state)
			if res.PodmanTrustError != "" {
				fmt.Fprintf(w, "podman:    %s\n", res.PodmanTrustError)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if checkErr != nil {
		return explainCheckFor(checkErr, o.host, o.name, false)
	}
	if o.Check && !res.AuthChecked {
		return &clierr.Error{Err: fmt.Errorf("the auth file %s will not work with %s: %s", res.AuthFile, o.host, res.AuthFileError), Code: clierr.CodeUnauthorized,
			Hint: "log in again: " + o.name + " login"}
	}
	return nil
}

// check tries credentials against the registry. asPodman trusts only the
// CA files podman and skopeo read; otherwise the cluster's CA, the one
// login recorded and --ca-file are trusted too.
func (o *InfoOptions) check(ctx context.Context, user, secret string, caPEM, extra []byte, asPodman bool) error {
	pool, err := auth.TrustPool(auth.InstalledCAs(o.host, "", ""))
	if !asPodman {
		pool, err = auth.TrustFor(o.host, "", "", caPEM, extra)
	}
	if err != nil {
		return err
	}
	c, err := o.newRegistry(registry.Config{Host: o.host, HostSource: o.source, Username: user, Secret: secret, Roots: pool, AllowRealms: o.AllowRealms, Timeout: o.Timeout})
	if err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	return c.Check(cctx)
}

// orUnknown is orNone, except that what the user may not read is said to
// be so rather than missing.
func orUnknown(s string, unreadable bool) string {
	if s == "" && unreadable {
		return "(not readable by you)"
	}
	return orNone(s)
}

func orNone(s string) string {
	if s == "" || s == "[]" {
		return "(none)"
	}
	return s
}
