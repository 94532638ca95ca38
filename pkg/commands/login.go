package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/oc-registry/oc-registry/pkg/auth"
	"github.com/oc-registry/oc-registry/pkg/clierr"
	"github.com/oc-registry/oc-registry/pkg/cluster"
	"github.com/oc-registry/oc-registry/pkg/kube"
	"github.com/oc-registry/oc-registry/pkg/output"
	"github.com/oc-registry/oc-registry/pkg/registry"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// LoginOptions logs in to the registry with a cluster token.
type LoginOptions struct {
	registryTarget
	AuthFile        string
	DockerConfig    bool
	SkipCheck       bool
	Insecure        bool
	AuthBasic       string
	ServiceAccount  string
	Duration        time.Duration
	Username        string
	CertDir         string
	CAFile          string
	InstallSystemCA bool
	Timeout         time.Duration
	output.Flags

	clients      *kube.Clients
	name         string
	kubeUser     string
	newRegistry  func(registry.Config) (*registry.Client, error)
	store        AuthStore
	unreadableCA *cluster.UnreadableCAError
	namespace    string
	saNS         string
	saName       string
	genericiooptions.IOStreams
}

// LoginResult is the stable shape of `login -o json`.
type LoginResult struct {
	Registry  string     `json:"registry"`
	Source    string     `json:"source"`
	Username  string     `json:"username"`
	AuthFiles []string   `json:"authFiles"`
	CAFile    string     `json:"caFile,omitempty"`
	CASource  string     `json:"caSource,omitempty"`
	Checked   bool       `json:"checked"`
	Expires   *time.Time `json:"expires,omitempty"`
}

// defaultTokenDuration is --duration's default: the lifetime of a service
// account token login and token ask for.
const defaultTokenDuration = time.Hour

// NewCmdLogin builds `login`.
func NewCmdLogin(f Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &LoginOptions{IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "login [--registry HOST] [-z SERVICEACCOUNT]",
		Short: "Log in to the registry with your cluster token (no token on the command line)",
		Long: `Log in to the integrated registry with the token of your current kubeconfig
user, or of a service account, and write the credentials where podman, skopeo,
buildah (and, with --docker-config, docker and crane) read them.

The token is taken in-process: from the kubeconfig, or from its exec or
auth-provider plugin, or from the TokenRequest API for --service-account. It
never appears on a command line or in logs.

The registry host is --registry, or what the cluster publishes: the image
config's external host (when it answers) or internal host, then the
default route, then the service. The credentials are checked against the
registry (unless --skip-check), trusting the registry's CA when the cluster
publishes it (configmap openshift-config-managed/image-registry-ca) or
--ca-file names one. Only after that check passes is anything written: the
credentials, and the CA where your podman and skopeo read it
(~/.config/containers/certs.d/HOST). Root's podman reads only
/etc/containers/certs.d, which login writes only with --install-ca; without
it the CA is kept for oc-registry alone, and login says so. logout removes
what login wrote.

The token goes only to the registry host itself, over TLS: never to a
redirect target or upload location on another origin, and to a token realm
on another host only with --allow-realm HOST.

Credentials go to --registry-config, else $REGISTRY_AUTH_FILE, else the
containers default (${XDG_RUNTIME_DIR}/containers/auth.json). Other entries
in the file are kept; the write is atomic and the file mode is 0600.

-o json|yaml prints {"registry", "source", "username", "authFiles": [FILE],
"caFile", "caSource", "checked", "expires"} (expires only when the token says).`,
		Example: `  # Log in as yourself; podman and skopeo can push right after
  oc-registry login

  # A robot for CI: a 1-hour token of service account ci/pipeline
  oc-registry login -z ci:pipeline --duration 1h --registry-config ./auth.json

  # Also write ~/.docker/config.json, for docker and crane
  oc-registry login --docker-config

  # As root in a CI image: also let root's podman trust the registry CA
  oc-registry login --install-ca`,
		Args: cobra.NoArgs,
		RunE: runE(f, o),
	}
	o.registryTarget.addFlags(cmd)
	fl := cmd.Flags()
	fl.StringVarP(&o.AuthFile, "registry-config", "a", "", "Auth file to write (default: $REGISTRY_AUTH_FILE, else the containers default).")
	fl.StringVar(&o.AuthFile, "to", "", "Same as --registry-config (oc registry login compatible).")
	fl.BoolVar(&o.DockerConfig, "docker-config", false, "Also write ~/.docker/config.json (read by docker and crane).")
	fl.BoolVar(&o.SkipCheck, "skip-check", false, "Do not check the credentials against the registry.")
	fl.BoolVar(&o.Insecure, "insecure", false, "Do not verify the registry's TLS certificate when checking (not recommended).")
	fl.StringVar(&o.AuthBasic, "auth-basic", "", "USER:PASSWORD to store instead of a token (visible to other users of this machine: prefer a token).")
	addServiceAccountFlag(cmd, func(fs *pflag.FlagSet, name, short, usage string) {
		fs.StringVarP(&o.ServiceAccount, name, short, "", usage)
	}, "Log in as this service account (NAMESPACE:NAME, or NAME in the current namespace), with a token from the TokenRequest API.")
	fl.DurationVar(&o.Duration, "duration", defaultTokenDuration, "Lifetime of a service account token (the API server's minimum is 10m).")
	fl.StringVar(&o.Username, "username", "", "User name to store (the registry ignores it; default: your kubeconfig user name).")
	fl.StringVar(&o.CertDir, "cert-dir", "", "Install the registry CA in DIR/HOST/ca.crt, or in DIR/ca.crt when DIR already holds .crt files as podman's --cert-dir does (default: ~/.config/containers/certs.d; for root, oc-registry's own directory).")
	fl.BoolVar(&o.InstallSystemCA, "install-ca", false, "Install the registry CA in /etc/containers/certs.d, where root's podman and skopeo read it (system-wide: every user of this machine trusts it).")
	fl.StringVar(&o.CAFile, "ca-file", "", "Trust this CA (PEM) for the registry, instead of the one the cluster publishes; it is installed like that one.")
	fl.DurationVar(&o.Timeout, "timeout", 10*time.Second, "Give up on the registry after this long.")
	o.Flags.AddFlags(fl)
	return cmd
}

// Complete normalizes --registry, then builds the clients and reads the
// project (for a bare -z NAME) unless --auth-basic with --registry needs no
// cluster.
func (o *LoginOptions) Complete(f Factory, cmd *cobra.Command, _ []string) error {
	o.newRegistry, o.store, o.name = f.Registry, f.AuthStore(), programName(cmd)
	if err := o.registryTarget.complete(); err != nil {
		return err
	}
	if o.AuthBasic != "" && o.Registry != "" {
		return nil // a static password needs no cluster
	}
	var err error
	if o.clients, err = f.KubeClients(); err != nil {
		return err
	}
	if o.namespace, _, err = f.Namespace(); err != nil {
		return err
	}
	o.kubeUser = f.KubeUser()
	o.registryTarget.namespace = o.namespace
	o.saNS, o.saName, err = parseServiceAccountFlag(o.ServiceAccount, o.namespace)
	return err
}

// Validate checks the flags before anything is sent.
func (o *LoginOptions) Validate() error {
	if err := o.registryTarget.check(); err != nil {
		return err
	}
	if o.Username != "" {
		if err := auth.ValidateUsername(o.Username); err != nil {
			return clierr.WithCode(clierr.CodeUsage, err)
		}
	}
	if o.AuthBasic != "" {
		u, p, ok := strings.Cut(o.AuthBasic, ":")
		if !ok || u == "" || p == "" {
			return clierr.Usagef("--auth-basic takes USER:PASSWORD")
		}
		if o.ServiceAccount != "" {
			return clierr.Usagef("--auth-basic and --service-account are mutually exclusive")
		}
	}
	if err := checkServiceAccountFlag(o.ServiceAccount); err != nil {
		return err
	}
	if o.ServiceAccount != "" && o.Duration < 10*time.Minute {
		return clierr.Usagef("--duration %s is too short: the API server issues tokens for 10m or more", o.Duration)
	}
	if o.Timeout <= 0 {
		return clierr.Usagef("--timeout must be positive")
	}
	return usageIfErr(o.Flags.Validate())
}

// Run logs in. Nothing is written before the credentials have been
// checked against the registry with the CA that is about to be trusted.
func (o *LoginOptions) Run(ctx context.Context) error {
	user, token, expires, err := o.credentials(ctx)
	if err != nil {
		return err
	}
	if err := o.resolve(ctx, o.clients); err != nil {
		return err
	}
	fmt.Fprintf(o.ErrOut, "registry %s (from %s)\n", o.host, o.source)
	res := &LoginResult{Registry: o.host, Source: o.source, Username: user, Expires: expires}

	caPEM, caSource, err := o.findCA(ctx)
	var unreadable *cluster.UnreadableCAError
	if errors.As(err, &unreadable) {
		err, o.unreadableCA = nil, unreadable
	}
	if err != nil {
		return err
	}
	if !o.SkipCheck {
		if err := o.check(ctx, user, token, caPEM); err != nil {
			return err
		}
		res.Checked = true
	}
	var installed *auth.InstalledCA
	if caPEM != nil && (res.Checked || o.CAFile != "") {
		if installed, err = o.installCA(caPEM, res); err != nil {
			return err
		}
		res.CASource = caSource
	} else if caPEM != nil {
		warnf(o.ErrOut, "the registry CA from %s was not installed: --skip-check trusts nothing unchecked (pass --ca-file to install a CA you trust)", caSource)
	}

	files := []auth.AuthFile{{Path: o.AuthFile}}
	if o.DockerConfig {
		files = append(files, auth.AuthFile{Path: auth.DockerConfigPath(), Docker: true})
	}
	for _, f := range files {
		where, err := f.Store(ctx, o.host, user, token)
		if err != nil {
			if installed != nil {
				installed.Remove()
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return clierr.WithHint(errors.New(auth.Redact(err.Error(), token)), "fix or move the file; oc-registry does not overwrite a file it cannot read")
		}
		res.AuthFiles = append(res.AuthFiles, where)
		f.Path = f.Resolve()
		if err := o.store.Update(ctx, func(r *auth.Record) {
			r.Add(o.host, f)
			if installed != nil {
				r.CAs[o.host] = *installed
			}
			if o.clients != nil {
				r.Servers[o.clients.Config.Host] = o.host
				if o.AuthBasic == "" {
					r.NoteIssuer(token, auth.ServerIdentity(o.clients.Config))
				}
			}
		}); err != nil {
			warnf(o.ErrOut, "could not note the login for logout: %v", err)
		}
	}
	return o.Print(o.Out, res, func(w io.Writer) error { return o.report(w, res) })
}

// check tries the credentials against the registry, trusting what is
// trusted already plus caPEM.
func (o *LoginOptions) check(ctx context.Context, user, token string, caPEM []byte) error {
	if o.Insecure {
		warnf(o.ErrOut, "--insecure: the registry's certificate is not verified")
	}
	pool, err := auth.TrustPool(caPEM, auth.InstalledCAs(o.host, "", ""))
	if err != nil {
		return err
	}
	c, err := o.newRegistry(registry.Config{Host: o.host, HostSource: o.source, Username: user, Secret: token,
		Roots: pool, Insecure: o.Insecure, AllowRealms: o.AllowRealms, Timeout: o.Timeout})
	if err != nil {
		return clierr.WithCode(clierr.CodeUsage, err)
	}
	cctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	if err := c.Check(cctx); err != nil {
		if o.unreadableCA != nil && registry.CauseOf(err) == registry.CauseTLS {
			return clierr.WithHint(err, "%v: ask a cluster admin for that CA, then pass it with --ca-file FILE", o.unreadableCA)
		}
		return explainCheck(err, o.host, o.name)
	}
	return nil
}

// findCA reads the CA to trust: --ca-file, or the one the cluster
// publishes for the host.
func (o *LoginOptions) findCA(ctx context.Context) ([]byte, string, error) {
	if o.Insecure && o.CAFile == "" {
		return nil, "", nil
	}
	caPEM, err := readFileFlag("--ca-file", o.CAFile)
	if err != nil || caPEM != nil {
		return caPEM, "--ca-file", err
	}
	if o.clients == nil {
		return nil, "", nil
	}
	return cluster.FetchCA(ctx, o.clients.Core, o.info, o.host)
}

// installCA puts the CA where the user's podman and skopeo read it: their
// own certs.d for a non-root user, --cert-dir when given. Root's podman
// reads only /etc/containers/certs.d, which is written only with
// --install-ca; otherwise the CA is kept for oc-registry alone.
func (o *LoginOptions) installCA(caPEM []byte, res *LoginResult) (*auth.InstalledCA, error) {
	var base string
	var err error
	switch {
	case o.CertDir != "":
		base = o.CertDir
	case o.InstallSystemCA:
		base = auth.SystemCertDir
	case os.Geteuid() == 0:
		base, err = auth.OwnCertDir()
	default:
		base, err = auth.UserCertDir()
	}
	if err != nil {
		return nil, err
	}
	dir, err := auth.HostCertDir(base, o.host)
	if err != nil {
		return nil, err
	}
	inst, err := auth.InstallCA(dir, caPEM)
	if err != nil {
		return nil, clierr.WithHint(err, "pass --cert-dir to install the CA elsewhere")
	}
	res.CAFile = filepath.Join(dir, "ca.crt")
	if inst != nil {
		res.CAFile = inst.Path
	} else if p := auth.RecordedCA(o.host); p != "" && filepath.Dir(p) == dir {
		res.CAFile = p
	}
	if o.CertDir == "" && !o.InstallSystemCA && os.Geteuid() == 0 {
		fmt.Fprintf(o.ErrOut, "note: the CA is kept for oc-registry only; podman and skopeo running as root read %s: add --install-ca to install it there, or give them --cert-dir %s\n",
			filepath.Join(auth.SystemCertDir, o.host), dir)
	}
	return inst, nil
}

// credentials returns the user name, token and, when known, the expiry.
func (o *LoginOptions) credentials(ctx context.Context) (string, string, *time.Time, error) {
	if o.AuthBasic != "" {
		warnf(o.ErrOut, "--auth-basic puts a password on the command line, where other users can see it")
		u, p, _ := strings.Cut(o.AuthBasic, ":")
		return u, p, nil, nil
	}
	user := o.Username
	if o.saName != "" {
		token, exp, err := auth.ServiceAccountToken(kube.Quiet(ctx), o.clients.Core, o.saNS, o.saName, o.Duration)
		if err != nil {
			if apierrors.IsNotFound(err) {
				return "", "", nil, clierr.WithHint(err, "create it first: kubectl create serviceaccount %s -n %s", o.saName, o.saNS)
			}
			return "", "", nil, err
		}
		if user == "" {
			user = "serviceaccount-" + o.saNS + "-" + o.saName
		}
		return user, token, &exp, nil
	}
	token, err := auth.BearerToken(o.clients.Config)
	if err != nil {
		if errors.Is(err, auth.ErrNoToken) {
			return "", "", nil, &clierr.Error{Err: err, Code: clierr.CodeUnauthorized,
				Hint: "log in with a token (oc login --token ... or oc login -u USER), or use --service-account NAMESPACE:NAME for a robot token"}
		}
		return "", "", nil, err
	}
	if user == "" {
		user = auth.DeriveUsername(o.kubeUser)
	}
	var expires *time.Time
	if exp, ok := auth.JWTExpiry(token); ok {
		expires = &exp
	}
	return user, token, expires, nil
}

func (o *LoginOptions) report(w io.Writer, res *LoginResult) error {
	fmt.Fprintf(w, "Login Succeeded! %s as %s\n", res.Registry, res.Username)
	for _, f := range res.AuthFiles {
		fmt.Fprintf(w, "  credentials: %s\n", f)
	}
	if res.CAFile != "" {
		fmt.Fprintf(w, "  CA: %s (from %s)\n", res.CAFile, res.CASource)
	}
	if !res.Checked {
		fmt.Fprintln(w, "  not checked against the registry (--skip-check)")
	}
	if res.Expires != nil {
		left := time.Until(*res.Expires)
		fmt.Fprintf(w, "  token expires %s (in %s)\n", res.Expires.Local().Format(time.RFC3339), humanDuration(left))
		// A token as long as the default --duration is not worth a warning;
		// a shorter one is (the minute allows for the time login took).
		if left < defaultTokenDuration-time.Minute {
			warnf(o.ErrOut, "the token expires in %s: log in again before then", humanDuration(left))
		}
	}
	return nil
}
