package commands

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/oc-registry/oc-registry/pkg/auth"
	"github.com/oc-registry/oc-registry/pkg/clierr"
	"github.com/oc-registry/oc-registry/pkg/doctor"
	"github.com/oc-registry/oc-registry/pkg/image"
	"github.com/oc-registry/oc-registry/pkg/output"
	"github.com/oc-registry/oc-registry/pkg/registry"
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	appsclient "k8s.io/client-go/kubernetes/typed/apps/v1"
)

// DoctorOptions finds out why a push (or pull) would fail.
type DoctorOptions struct {
	registryTarget
	AuthFile     string
	DockerConfig bool
	CertDir      string
	CAFile       string
	AsRobot      string
	Pull         bool
	Timeout      time.Duration
	Output       string

	program string
	input   doctor.Input
	genericiooptions.IOStreams
}

// NewCmdDoctor builds `doctor`.
func NewCmdDoctor(fac Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &DoctorOptions{IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "doctor [PROJECT/NAME[:TAG]] [--as-robot NAMESPACE:SA] [--pull]",
		Short: `Find out why a push or pull fails ("unauthorized: authentication required")`,
		Long: `Run every check a push (or, with --pull, a pull) depends on, in the order a
request meets them, print one line each, then one verdict with the fix:

  kubeconfig     a kubeconfig with a current context
  token          its bearer token, and when that expires
  identity       the API server accepts it (SelfSubjectReview): who you are
  robot          with --as-robot: the service account exists
  registry-host  the registry host, and where it came from
  reachable      a registry answers GET /v2/ there
  tls            podman and skopeo trust its certificate: the certs.d
                 directories they read (or --cert-dir), or the system's trust
  auth-file      the auth file they read has an entry for the host, and the
                 registry accepts it (an old token there is the commonest 401)
  name           the image name is PROJECT/NAME[:TAG]
  project        the project exists
  permission     the registry's own question (update or get
                 imagestreams/layers, create imagestreams for a new image),
                 with the grant command that fixes it
  image-stream   with --pull: there is an image to pull
  registry       the registry's pods are ready, as far as you may see

The auth file is the one podman and skopeo read: --registry-config (-a),
else $REGISTRY_AUTH_FILE, else the containers default; --docker-config
checks ~/.docker/config.json (docker, crane) instead. The host is chosen as
login chooses it (--registry, --internal, --public). --as-robot checks a
service account's permission (a project admin may ask) and that the auth
file holds its token.

Without PROJECT/NAME the project is -n or the context's namespace. Exit
code 0 means every check holds; otherwise it is the first failing check's:
3 for credentials, 4 for a missing permission, 2 for a bad name, 1 for the
rest. No token is ever printed.`,
		Example: `  # Why can't I push?
  oc-registry doctor myproject/app

  # As root, with podman given --cert-dir (login keeps the CA there for root)
  oc-registry doctor myproject/app --cert-dir ~/.config/oc-registry/certs.d/HOST

  # Can the CI robot push with the auth file it was given?
  oc-registry doctor myproject/app --as-robot ci:pipeline -a ./auth.json

  # Can I pull? (-o json: one object per check)
  oc-registry doctor myproject/app --pull -o json`,
		Args: cobra.MaximumNArgs(1),
		RunE: runE(fac, o),
	}
	o.registryTarget.addFlags(cmd)
	f := cmd.Flags()
	f.StringVarP(&o.AuthFile, "registry-config", "a", "", "Auth file podman and skopeo are given (default: $REGISTRY_AUTH_FILE, else the containers default).")
	f.BoolVar(&o.DockerConfig, "docker-config", false, "Check ~/.docker/config.json (what docker and crane read) instead.")
	f.StringVar(&o.CertDir, "cert-dir", "", "The --cert-dir podman and skopeo are given (the directory holding the registry's .crt files); default: the certs.d directories they read.")
	f.StringVar(&o.CAFile, "ca-file", "", "A registry CA (PEM) to try when the cluster publishes none, to tell a missing CA from a wrong host.")
	f.StringVar(&o.AsRobot, "as-robot", "", "Check for service account NAMESPACE:NAME (or NAME in the current namespace) instead of yourself.")
	f.BoolVar(&o.Pull, "pull", false, "Check a pull instead of a push.")
	f.DurationVar(&o.Timeout, "timeout", 10*time.Second, "Give up on each registry request after this long.")
	f.StringVarP(&o.Output, "output", "o", "", "Output format: json or yaml (schema in docs/status.md).")
	return cmd
}

// Validate checks the flags before anything is sent.
func (o *DoctorOptions) Validate() error {
	if err := o.registryTarget.validate(); err != nil {
		return err
	}
	if o.DockerConfig && o.AuthFile != "" {
		return clierr.Usagef("--docker-config and --registry-config are mutually exclusive")
	}
	if o.Timeout <= 0 {
		return clierr.Usagef("--timeout must be positive")
	}
	return usageIfErr(output.Validate(o.Output))
}

// Complete loads what it can: whatever fails to load becomes a failing
// check, not an error, so that the report says it in its place.
func (o *DoctorOptions) Complete(f Factory, cmd *cobra.Command, args []string) error {
	o.program = programName(cmd)
	in := &o.input
	in.Pull, in.Program, in.Timeout, in.CertDir, in.AllowRealms = o.Pull, o.program, o.Timeout, o.CertDir, o.AllowRealms
	in.Root = os.Geteuid() == 0
	if len(args) == 1 {
		in.Image = args[0]
	}
	var err error
	if in.CAFile, err = readFileFlag("--ca-file", o.CAFile); err != nil {
		return err
	}
	in.AuthFile = auth.AuthFile{Path: o.AuthFile}
	switch {
	case o.DockerConfig:
		in.AuthFile = auth.AuthFile{Docker: true}
		in.AuthFileFlag = "--docker-config"
	case o.AuthFile != "":
		in.AuthFileFlag = "-a " + o.AuthFile
	}
	// A full pull spec names the host: check that one, as podman would use it.
	if t, err := image.ParseTarget(in.Image, false); err == nil && t.Registry != "" && o.Registry == "" && !o.Internal && !o.Public {
		if h, err := registry.NormalizeHost(t.Registry, "the image name"); err == nil {
			o.Registry = h
		}
	}
	in.RegistryFlag = o.Registry

	clients, err := f.KubeClients()
	if err != nil {
		in.Kubeconfig.Err = err
	} else {
		cfg := clients.Config
		in.Kubeconfig.Server = cfg.Host
		if k, ok := f.(kubeconfigSource); ok {
			in.Kubeconfig.Path, in.Kubeconfig.Context = k.KubeconfigPath(), k.KubeContext()
		}
		in.Token, in.TokenErr = auth.BearerToken(cfg)
		apps, err := appsclient.NewForConfig(clients.Config)
		if err != nil {
			return err
		}
		in.API = &doctor.API{Authn: clients.Authn, Authz: clients.Authz, Core: clients.Core, Apps: apps, Dynamic: clients.Dynamic}
		ns, explicit, err := f.Namespace()
		if err != nil {
			return err
		}
		in.Namespace, in.NSSource = ns, "your kubeconfig context"
		if explicit {
			in.NSSource = "-n"
		}
	}
	if o.AsRobot != "" {
		saNS, saName, err := parseServiceAccountFlag(o.AsRobot, in.Namespace)
		if err != nil {
			return err
		}
		in.Robot = &doctor.Robot{Namespace: saNS, Name: saName}
	}
	in.Resolve = func(ctx context.Context) (string, string, error) {
		if err := o.registryTarget.resolveLoggedIn(ctx, clients, in.AuthFile); err != nil {
			return "", "", err
		}
		return o.host, o.source, nil
	}
	return nil
}

// Run runs the checks, prints them and the verdict, and exits with the
// first failing check's code.
func (o *DoctorOptions) Run(ctx context.Context) error {
	rep := doctor.Run(ctx, o.input)
	err := output.Print(o.Out, o.Output, rep, func(w io.Writer) error { return writeDoctor(w, rep) })
	if err != nil {
		return err
	}
	if code := rep.Code(); code != 0 {
		return &clierr.Error{Err: clierr.Silent, Code: code}
	}
	return nil
}

func writeDoctor(w io.Writer, rep *doctor.Report) error {
	width := 0
	for _, c := range rep.Checks {
		width = max(width, len(c.Name))
	}
	pad := strings.Repeat(" ", 6+width+2)
	for _, c := range rep.Checks {
		mark := "ok"
		switch {
		case c.Skipped:
			mark = "skip"
		case !c.OK:
			mark = "FAIL"
		}
		fmt.Fprintf(w, "%-5s %-*s  %s\n", mark, width, c.Name, c.Detail)
		if c.Fix != "" && !c.OK {
			fmt.Fprintf(w, "%sfix: %s\n", pad, c.Fix)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, rep.Verdict)
	if rep.Fix != "" {
		fmt.Fprintf(w, "fix: %s\n", rep.Fix)
	}
	return nil
}
