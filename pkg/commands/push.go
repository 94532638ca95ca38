package commands

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/docker/distribution/registry/api/errcode"
	"github.com/oc-registry/oc-registry/pkg/auth"
	"github.com/oc-registry/oc-registry/pkg/clierr"
	"github.com/oc-registry/oc-registry/pkg/cluster"
	"github.com/oc-registry/oc-registry/pkg/image"
	"github.com/oc-registry/oc-registry/pkg/kube"
	"github.com/oc-registry/oc-registry/pkg/output"
	"github.com/oc-registry/oc-registry/pkg/rbac"
	"github.com/oc-registry/oc-registry/pkg/registry"
	"github.com/spf13/cobra"
	"go.podman.io/image/v5/types"
	"golang.org/x/term"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// imageFlags are what push and tag share: where the registry is, how to
// authenticate, and how to report.
type imageFlags struct {
	registryTarget
	AuthFile    string
	CertDir     string
	Insecure    bool
	Flatten     bool
	NoPreflight bool
	Quiet       bool
	Output      string
	DigestFile  string
	RetryTimes  int
	SrcTLS      bool

	name    string // what the user runs us as, for hints
	clients *kube.Clients
	rbac    *rbac.Client
	// asked is whose permissions the preflight asks about: the auth
	// file's identity when login recorded its token as issued by this
	// cluster (fromAuthFile), else the kubeconfig's user.
	asked        *kube.Clients
	askRBAC      *rbac.Client
	fromAuthFile bool
	// skip says why no preflight can run: the auth file's entry is
	// foreign, so the cluster cannot be asked about it.
	skip string
}

func (f *imageFlags) addFlags(cmd *cobra.Command) {
	f.registryTarget.addFlags(cmd)
	fl := cmd.Flags()
	fl.StringVarP(&f.AuthFile, "registry-config", "a", "", "Auth file with registry credentials (default: as login writes it).")
	fl.StringVar(&f.CertDir, "cert-dir", "", "CA files to trust: DIR/HOST/*.crt, or DIR/*.crt as podman's --cert-dir (default: the containers certs.d directories and the CA login recorded).")
	fl.BoolVar(&f.Insecure, "insecure", false, "Do not verify the destination registry's TLS certificate, and allow plain HTTP to it (not recommended).")
	fl.BoolVar(&f.Flatten, "flatten", false, "Join extra path levels into the name with '-' (p/a/b becomes p/a-b).")
	fl.BoolVar(&f.NoPreflight, "no-preflight", false, "Skip the permission check before the upload.")
	fl.BoolVarP(&f.Quiet, "quiet", "q", false, "No progress output.")
	fl.StringVarP(&f.Output, "output", "o", "", "Output format: json or yaml.")
	fl.StringVar(&f.DigestFile, "digestfile", "", "Write the image digest to this file.")
	fl.IntVar(&f.RetryTimes, "retry-times", 3, "Retries after a transient failure (dropped connection, 5xx, 429).")
}

func (f *imageFlags) validate() error {
	if err := f.registryTarget.validate(); err != nil {
		return err
	}
	if f.RetryTimes < 0 {
		return clierr.Usagef("--retry-times must be 0 or more")
	}
	return usageIfErr(output.Validate(f.Output))
}

// build makes the clients (not needed with --registry and --no-preflight)
// from the factory: it reads the kubeconfig and sends nothing.
func (f *imageFlags) build(fac Factory) error {
	if !f.NoPreflight || f.Registry == "" {
		c, err := kubeClients(fac)
		if err != nil {
			return err
		}
		f.clients, f.rbac = c, rbacClient(c)
	}
	return nil
}

// kubeClients are the preflight's clients: over the real factory,
// concurrent first requests share one API connection.
func kubeClients(fac Factory) (*kube.Clients, error) {
	if o, ok := fac.(interface {
		KubeClientsWith(...kube.Option) (*kube.Clients, error)
	}); ok {
		return o.KubeClientsWith(kube.OneDialAtATime)
	}
	return fac.KubeClients()
}

// resolve finds the registry host and whom the preflight asks about.
func (f *imageFlags) resolve(ctx context.Context, t *image.Target) error {
	// Go parses the system roots on first use (~14 ms here): on the other
	// core while the registry host is found. c/image's TLS setup needs them.
	go x509.SystemCertPool()
	// A full pull spec names its host. It is this cluster's registry, or
	// --registry names it too: a push meant for the cluster must not go to
	// another registry because of a pasted name.
	pinned := t.Registry
	if pinned != "" && f.Registry != "" && !strings.EqualFold(pinned, f.Registry) {
		return clierr.Usagef("the destination names registry %s but --registry says %s", pinned, f.Registry)
	}
	if err := f.resolveLoggedIn(ctx, f.clients, auth.AuthFile{Path: f.AuthFile}); err != nil {
		return err
	}
	if pinned != "" && f.Registry == "" && !strings.EqualFold(pinned, f.host) {
		if err := f.ownHost(ctx, pinned); err != nil {
			return err
		}
		f.host, f.source = pinned, "the destination"
	}
	t.Registry = f.host
	if f.NoPreflight || f.clients == nil {
		return nil
	}
	return f.pickIdentity()
}

// ownHost checks that host is one of this cluster's registry hosts.
func (f *imageFlags) ownHost(ctx context.Context, host string) error {
	if f.info == nil {
		info, err := cluster.Lookup(ctx, f.clients.Dynamic, f.clients.Core, f.namespace)
		if err != nil {
			return err
		}
		f.info = info
	}
	if f.info.Has(host) {
		return nil
	}
	return &clierr.Error{Err: fmt.Errorf("%s is not this cluster's registry (%s)", host, strings.Join(f.info.Hosts(), ", ")), Code: clierr.CodeUsage,
		Hint: fmt.Sprintf("name the destination as PROJECT/NAME[:TAG], or pass --registry %s to push to that registry", host)}
}

// pickIdentity points the preflight at the credentials the push will send.
// A CI job logged in as a robot with an admin's kubeconfig still current
// must hear about the robot's rights, not the admin's. The auth file's
// token goes only to the API server login recorded as its issuer.
func (f *imageFlags) pickIdentity() error {
	f.asked, f.askRBAC = f.clients, f.rbac
	id := auth.PushIdentity(auth.AuthFile{Path: f.AuthFile}, f.host, auth.ServerIdentity(f.clients.Config))
	switch {
	case id.Skip != "":
		f.skip = id.Skip
	case id.Token != "":
		c, err := f.clients.As(id.Token, kube.OneDialAtATime)
		if err != nil {
			return err
		}
		f.asked, f.askRBAC, f.fromAuthFile = c, rbacClient(c), true
	}
	return nil
}

// gate starts the preflight, or says why it cannot run and returns nil.
func (f *imageFlags) gate(ctx context.Context, w io.Writer, src *image.Target, dst image.Target) func() error {
	if f.NoPreflight {
		return nil
	}
	if f.skip != "" {
		fmt.Fprintf(w, "note: permission check skipped: %s; the registry decides\n", f.skip)
		return nil
	}
	return f.startPreflight(ctx, src, dst)
}

// sys is the destination's c/image context: the auth file, the CA files
// (--cert-dir in either form, else the CA login recorded for the host,
// else c/image's own search), and the guard that keeps c/image's requests,
// and so the credentials, on the registry's origin.
func (f *imageFlags) sys(host string) *types.SystemContext {
	sys := &types.SystemContext{
		AuthFilePath:            auth.AuthFile{Path: f.AuthFile}.Resolve(),
		DockerRegistryUserAgent: "oc-registry",
		DockerProxy:             registry.Guard(host, f.Insecure, f.AllowRealms),
	}
	switch {
	case f.CertDir != "":
		if d, err := auth.HostCertDir(f.CertDir, host); err == nil && d == f.CertDir {
			sys.DockerCertPath = d
		} else {
			sys.DockerPerHostCertDirPath = f.CertDir
		}
	case auth.RecordedCA(host) != "":
		sys.DockerCertPath = filepath.Dir(auth.RecordedCA(host))
	}
	if f.Insecure {
		sys.DockerInsecureSkipTLSVerify = types.OptionalBoolTrue
	}
	return sys
}

// sourceSys is a docker:// source's context: the same auth file, its own
// TLS setting (--insecure is for the destination only).
func (f *imageFlags) sourceSys() *types.SystemContext {
	sys := &types.SystemContext{
		AuthFilePath:            auth.AuthFile{Path: f.AuthFile}.Resolve(),
		DockerRegistryUserAgent: "oc-registry",
		DockerProxy:             registry.SourceGuard(!f.SrcTLS),
	}
	if !f.SrcTLS {
		sys.DockerInsecureSkipTLSVerify = types.OptionalBoolTrue
	}
	return sys
}

// preflight checks, at once, that the destination project exists, that
// you may push there (and pull from src, when tagging).
func (f *imageFlags) preflight(ctx context.Context, src *image.Target, dst image.Target) error {
	var wg sync.WaitGroup
	var projectErr, pushErr, pullErr error
	var push, pull rbac.Decision
	wg.Add(2)
	go func() { defer wg.Done(); projectErr = checkProject(ctx, f.rbac, dst.Project) }()
	go func() {
		defer wg.Done()
		push, pushErr = f.askRBAC.CanPush(ctx, dst.Project, dst.Name)
	}()
	if src != nil {
		wg.Add(1)
		go func() { defer wg.Done(); pull, pullErr = f.askRBAC.CanPull(ctx, src.Project, src.Name) }()
	}
	wg.Wait()
	if projectErr != nil {
		return projectErr
	}
	if src != nil {
		if pullErr != nil {
			return fmt.Errorf("permission check: %w", pullErr)
		}
		if !pull.Allowed {
			return f.deny(ctx, pull, src.Project)
		}
	}
	if pushErr != nil {
		return fmt.Errorf("permission check: %w", pushErr)
	}
	if !push.Allowed {
		return f.deny(ctx, push, dst.Project)
	}
	return nil
}

// startPreflight runs preflight in the background and returns a function
// that waits for its answer (as often as it is called).
func (f *imageFlags) startPreflight(ctx context.Context, src *image.Target, dst image.Target) func() error {
	var err error
	done := make(chan struct{})
	go func() {
		err = f.preflight(ctx, src, dst)
		close(done)
	}()
	return func() error {
		<-done
		return err
	}
}

// deny turns a preflight "no" into an error with the grant to ask for.
func (f *imageFlags) deny(ctx context.Context, d rbac.Decision, project string) error {
	who := f.asked.WhoAmI(ctx)
	subject := who
	sa, isSA := strings.CutPrefix(who, "system:serviceaccount:")
	if isSA {
		subject = "--serviceaccount " + sa
	}
	if subject == "" {
		subject = "USER"
	}
	reason := d.Reason
	if f.fromAuthFile && who != "" && who != f.clients.WhoAmI(ctx) {
		name := who
		if isSA {
			name = "serviceaccount " + sa
		}
		reason = fmt.Sprintf("%s, whose token the auth file holds for %s: %s", name, f.host, strings.Replace(reason, "you may not", "it may not", 1))
	}
	return &clierr.Error{Err: errors.New(reason + "; nothing was uploaded"), Code: clierr.CodeForbidden,
		Hint: fmt.Sprintf("ask a project admin to run: %s grant %s %s -n %s", f.prog(), d.Role, subject, project)}
}

func (f *imageFlags) print(w io.Writer, res *image.Result) error {
	if f.DigestFile != "" {
		if err := os.WriteFile(f.DigestFile, []byte(res.Digest), 0o644); err != nil {
			return fmt.Errorf("--digestfile: %w", err)
		}
	}
	return output.Print(w, f.Output, res, func(w io.Writer) error {
		if res.Unchanged {
			_, err := fmt.Fprintln(w, res.Reference, "unchanged")
			return err
		}
		_, err := fmt.Fprintln(w, res.Reference)
		return err
	})
}

// PushOptions pushes an image into a project.
type PushOptions struct {
	imageFlags
	Tags []string
	Jobs int

	source string
	target image.Target
	src    types.ImageReference
	genericiooptions.IOStreams
}

// NewCmdPush builds `push SOURCE PROJECT/NAME[:TAG]`.
func NewCmdPush(f Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &PushOptions{IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "push SOURCE PROJECT/NAME[:TAG]",
		Short: "Push an image into a project, with name and permission checks first",
		Long: `Push an image into the integrated registry as PROJECT/NAME[:TAG] (tag: latest).

Before anything is sent, the name is checked against the registry's rule
(exactly one project level, valid project, name and tag), the project must
exist, and an access review checks that you may push there, and create the
image stream when it is new. When you may not, it says which role to ask for.

SOURCE is one of:
  oci:DIR[:REF]             an OCI layout directory (a bare DIR works too)
  oci-archive:FILE[:REF]    an OCI archive
  docker-archive:FILE[:REF] a docker save archive
  dir:DIR                   a c/image dir: directory
  docker://REGISTRY/IMAGE   another registry (credentials from the same auth file)
  containers-storage:NAME   what podman or buildah built (a bare NAME works too),
                            read from your local store, root or rootless

The registry and credentials are those 'oc-registry login' set up. Layers go
up in parallel (--jobs); layers already in the registry are not sent again,
and layers pushed before into another project you may read are mounted from
there instead of uploaded (the blob-info cache in your cache directory).
The manifest is written last: a failed push never leaves the tag pointing at
a partial image. The pushed reference with its digest goes to stdout.`,
		Example: `  oc-registry push oci:./build/app:latest team-a/app:v1
  podman build -t localhost/app:latest . && oc-registry push localhost/app:latest team-a/app:v1
  oc-registry push docker-archive:app.tar team-a/app --tag v1 --tag stable
  oc-registry push docker://quay.io/org/tool:2.0 team-a/tool:2.0 -o json`,
		Args: cobra.ExactArgs(2),
		RunE: runE(f, o),
	}
	o.imageFlags.addFlags(cmd)
	cmd.Flags().StringArrayVar(&o.Tags, "tag", nil, "Also tag the image with this tag (repeatable).")
	cmd.Flags().IntVar(&o.Jobs, "jobs", 4, "Layers to upload in parallel.")
	cmd.Flags().BoolVar(&o.SrcTLS, "src-tls-verify", true, "Verify the TLS certificate of a docker:// source (false also allows plain HTTP to it).")
	return cmd
}

// Complete parses the source and the destination (bad names never need a
// cluster) and builds the clients.
func (o *PushOptions) Complete(f Factory, cmd *cobra.Command, args []string) error {
	o.name = programName(cmd)
	o.source = args[0]
	t, err := image.ParseTarget(args[1], o.Flatten)
	if err != nil {
		return clierr.WithCode(clierr.CodeUsage, err)
	}
	o.target = t
	src, err := image.ParseSource(o.source)
	if err != nil {
		return clierr.WithCode(clierr.CodeUsage, err)
	}
	o.src = src
	return o.build(f)
}

// Validate checks the flags.
func (o *PushOptions) Validate() error {
	if err := o.validate(); err != nil {
		return err
	}
	if o.Jobs < 1 || o.Jobs > 32 {
		return clierr.Usagef("--jobs must be between 1 and 32")
	}
	for _, tag := range o.Tags {
		if _, err := image.ParseTarget(o.target.Repo()+":"+tag, false); err != nil {
			return clierr.WithCode(clierr.CodeUsage, fmt.Errorf("--tag %q: %w", tag, err))
		}
	}
	return nil
}

// Run finds the registry, checks permissions and pushes.
func (o *PushOptions) Run(ctx context.Context) error {
	if err := o.resolve(ctx, &o.target); err != nil {
		return err
	}
	opts := image.Options{Sys: o.sys(o.target.Registry), SourceSys: o.sourceSys(), AllowRealms: o.AllowRealms,
		Jobs: o.Jobs, RetryTimes: o.RetryTimes, RetryDelay: time.Second, Log: o.ErrOut}
	opts.CachePath = image.BlobCachePath()
	opts.Cache = image.OpenBlobCache(opts.CachePath)
	// The permission check runs while push reads the source and asks
	// whether the image is there already; nothing is written before it has
	// said yes. An unchanged re-push does not wait for it, and cancels it
	// on return.
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	opts.Gate = o.gate(pctx, o.ErrOut, nil, o.target)
	if !o.Quiet {
		if f, ok := o.ErrOut.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			opts.ReportWriter = o.ErrOut
		} else {
			opts.Progress, opts.ProgressEvery = image.ProgressLine(o.ErrOut), 3*time.Second
		}
	}
	res, err := image.Push(ctx, o.src, o.target, o.Tags, opts)
	var ce *clierr.Error
	if errors.As(err, &ce) {
		return err // the preflight's own words
	}
	if err != nil {
		return o.explainPush(err)
	}
	switch {
	case o.Quiet:
	case res.Unchanged:
		fmt.Fprintf(o.ErrOut, "%s unchanged: the registry already holds this image; nothing was written\n", o.target.Repo()+":"+strings.Join(res.Tags, ","))
	default:
		fmt.Fprintf(o.ErrOut, "pushed %s in %.1fs: %d blobs uploaded (%s), %d already in the registry\n",
			o.target.Repo()+":"+strings.Join(res.Tags, ","), res.Seconds, res.Pushed, image.MiB(res.Moved), res.Reused)
	}
	return o.print(o.Out, res)
}

// deniedByRegistry is a registry's DENIED answer, in the forms c/image
// returns it (an errcode.Error, or a bare code when the body has no
// message), or our own client's.
func deniedByRegistry(err error) bool {
	var ec errcode.Error
	var code errcode.ErrorCode
	return errors.As(err, &ec) && ec.Code == errcode.ErrorCodeDenied ||
		errors.As(err, &code) && code == errcode.ErrorCodeDenied ||
		registry.CauseOf(err) == registry.CauseDenied
}

func (f *imageFlags) prog() string {
	if f.name == "" {
		return "oc-registry"
	}
	return f.name
}

// explainPush adds hints for the usual failures of the upload itself.
func (f *imageFlags) explainPush(err error) error {
	// A 403 DENIED at the manifest PUT: OpenShift creates a new image stream
	// there with the pusher's own rights (image-registry
	// pkg/imagestream/imagestream.go), so layers went up but the stream may
	// not be created. The same answer as the preflight's: exit 4.
	if deniedByRegistry(err) {
		return &clierr.Error{Err: fmt.Errorf("the registry denied the write: %w", err), Code: clierr.CodeForbidden,
			Hint: "a new image stream needs 'create imagestreams' in the project (roles builder, editor or admin); check with: " + f.prog() + " can-i push NAME -n PROJECT"}
	}
	switch registry.CauseOf(err) {
	case registry.CausePolicy:
		return clierr.WithHint(err, "nothing more was sent; the registry pointed outside its own origin (see docs/security.md)")
	}
	msg := err.Error()
	unauthorized := strings.Contains(msg, "authentication required") || strings.Contains(msg, "unauthorized")
	switch {
	case unauthorized && f.fromAuthFile && !f.NoPreflight:
		// The cluster has just accepted this very token and said it may
		// write, so this is the registry's denial, not a missing login.
		return &clierr.Error{Err: fmt.Errorf("the registry denied the write to the identity the permission check approved: %w", err), Code: clierr.CodeForbidden,
			Hint: fmt.Sprintf("the registry and the cluster disagree; check the role with: %[1]s can-i push NAME -n PROJECT, and the registry's log (%[1]s logs --status 401)", f.prog())}
	case unauthorized:
		return &clierr.Error{Err: err, Code: clierr.CodeUnauthorized,
			Hint: fmt.Sprintf("log in first (%[1]s login), or check your role: %[1]s can-i push -n PROJECT", f.prog())}
	case strings.Contains(msg, "x509"):
		return clierr.WithHint(err, "run '%s login' to install the registry CA, or pass --cert-dir", f.prog())
	}
	return err
}
