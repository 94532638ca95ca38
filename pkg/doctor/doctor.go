// Package doctor answers "why can't I push (or pull)?": it runs every check
// a push depends on, in the order a request meets them — credentials for
// the API server, the registry host, TLS as podman and skopeo will verify
// it, the auth file they will read, the image name and project, the
// permission, and the registry's own health — and says for each what holds
// and how to fix what does not. Every one of these failures reaches a user
// as the same "unauthorized: authentication required".
package doctor

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/oc-registry/oc-registry/pkg/auth"
	"github.com/oc-registry/oc-registry/pkg/cluster"
	"github.com/oc-registry/oc-registry/pkg/image"
	"github.com/oc-registry/oc-registry/pkg/rbac"
	"github.com/oc-registry/oc-registry/pkg/registry"
	"github.com/oc-registry/oc-registry/pkg/status"
	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	appsclient "k8s.io/client-go/kubernetes/typed/apps/v1"
	authnclient "k8s.io/client-go/kubernetes/typed/authentication/v1"
	authzclient "k8s.io/client-go/kubernetes/typed/authorization/v1"
	coreclient "k8s.io/client-go/kubernetes/typed/core/v1"
)

// Check names, in the order they run. They are part of the -o json schema.
const (
	CheckKubeconfig  = "kubeconfig"
	CheckToken       = "token"
	CheckIdentity    = "identity"
	CheckRobot       = "robot"
	CheckHost        = "registry-host"
	CheckReachable   = "reachable"
	CheckTLS         = "tls"
	CheckAuthFile    = "auth-file"
	CheckName        = "name"
	CheckProject     = "project"
	CheckPermission  = "permission"
	CheckImageStream = "image-stream"
	CheckRegistry    = "registry"
)

// Exit codes of the checks: the first failing check's code is doctor's.
const (
	codeError        = 1
	codeUsage        = 2
	codeUnauthorized = 3
	codeForbidden    = 4
)

// Check is one line of the report, and one object of `doctor -o json`.
type Check struct {
	Name    string `json:"name"`
	OK      bool   `json:"ok"`
	Skipped bool   `json:"skipped,omitempty"` // not run: an earlier check it needs failed
	Detail  string `json:"detail"`
	Fix     string `json:"fix,omitempty"`
	Code    int    `json:"-"`
}

// Report is the stable shape of `doctor -o json|yaml`.
type Report struct {
	Action   string  `json:"action"`            // push or pull
	Image    string  `json:"image,omitempty"`   // PROJECT/NAME[:TAG] as given
	Project  string  `json:"project,omitempty"` // the project checked
	Subject  string  `json:"subject,omitempty"` // whom the permission was checked for
	Registry string  `json:"registry,omitempty"`
	AuthFile string  `json:"authFile,omitempty"`
	OK       bool    `json:"ok"`
	Verdict  string  `json:"verdict"`
	Fix      string  `json:"fix,omitempty"`
	Checks   []Check `json:"checks"`
}

// Code is 0 when every check holds, else the first failing check's code
// (1 when checks were only skipped).
func (r *Report) Code() int {
	for _, c := range r.Checks {
		if !c.OK && !c.Skipped {
			return max(c.Code, codeError)
		}
	}
	if !r.OK {
		return codeError
	}
	return 0
}

// API are the clients for the API server; nil when there is no usable
// kubeconfig.
type API struct {
	Authn   authnclient.AuthenticationV1Interface
	Authz   authzclient.AuthorizationV1Interface
	Core    coreclient.CoreV1Interface
	Apps    appsclient.AppsV1Interface
	Dynamic dynamic.Interface
}

// Kubeconfig is what loading the kubeconfig gave.
type Kubeconfig struct {
	Path, Context, Server string
	Err                   error
}

// Robot is a service account to check for (--as-robot).
type Robot struct{ Namespace, Name string }

func (r Robot) String() string   { return r.Namespace + ":" + r.Name }
func (r Robot) username() string { return "system:serviceaccount:" + r.Namespace + ":" + r.Name }

// Input is everything the checks need. The command fills it; failures to
// load things are recorded here, not returned, so that they become checks.
type Input struct {
	Image     string // PROJECT/NAME[:TAG], or "" to check the project Namespace
	Namespace string
	NSSource  string // where Namespace came from, for the report
	Pull      bool
	Robot     *Robot
	Program   string // the command's name, for the fixes ("oc-registry")

	Kubeconfig Kubeconfig
	Token      string // the kubeconfig user's bearer token
	TokenErr   error
	API        *API

	RegistryFlag string // --registry, when given
	Resolve      func(ctx context.Context) (host, source string, err error)
	AuthFile     auth.AuthFile
	AuthFileFlag string // how the auth file was named on the command line ("-a FILE"), for the fixes
	CertDir      string // the --cert-dir podman and skopeo are given; "" for their defaults
	CAFile       []byte // --ca-file: a CA to try besides the cluster's
	AllowRealms  []string
	Timeout      time.Duration
	Root         bool // running as root: podman reads only the system certs.d
	Now          time.Time
}

type run struct {
	in      Input
	r       *Report
	secrets []string

	host      string
	target    image.Target
	nameOK    bool
	kubeOK    bool // the API server accepts us
	reachable bool
	clusterCA []byte
}

// Run performs the checks and judges them.
func Run(ctx context.Context, in Input) *Report {
	if in.Program == "" {
		in.Program = "oc-registry"
	}
	if in.Now.IsZero() {
		in.Now = time.Now()
	}
	if in.Timeout <= 0 {
		in.Timeout = 10 * time.Second
	}
	action := "push"
	if in.Pull {
		action = "pull"
	}
	x := &run{in: in, r: &Report{Action: action, Image: in.Image, Checks: []Check{}}, secrets: []string{in.Token}}
	x.kubeconfig()
	x.token()
	x.identity(ctx)
	if in.Robot != nil {
		x.robot(ctx)
	}
	x.registryHost(ctx)
	x.reach(ctx)
	x.tls(ctx)
	x.authFile(ctx)
	x.name()
	perm := x.permission(ctx)
	x.project(ctx, perm)
	x.add(perm)
	if in.Pull && x.target.Name != "" {
		x.imageStream(ctx)
	}
	x.registry(ctx)
	x.judge()
	return x.r
}

func (x *run) add(c Check) {
	for _, s := range x.secrets {
		c.Detail, c.Fix = auth.Redact(c.Detail, s), auth.Redact(c.Fix, s)
	}
	x.r.Checks = append(x.r.Checks, c)
}

func skip(name, why string) Check {
	return Check{Name: name, Skipped: true, Detail: "not checked: " + why}
}

func oneLine(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }

func (x *run) kubeconfig() {
	k := x.in.Kubeconfig
	if k.Err != nil {
		x.add(Check{Name: CheckKubeconfig, Detail: oneLine(k.Err), Code: codeUnauthorized,
			Fix: "log in to the cluster: oc login <API server URL> (or pass --kubeconfig FILE)"})
		return
	}
	d := fmt.Sprintf("context %q, server %s", k.Context, k.Server)
	if k.Path != "" {
		d += " (" + k.Path + ")"
	}
	x.add(Check{Name: CheckKubeconfig, OK: true, Detail: d})
}

func (x *run) token() {
	if x.in.Kubeconfig.Err != nil {
		x.add(skip(CheckToken, "no kubeconfig"))
		return
	}
	if x.in.TokenErr != nil {
		fix := "log in again: oc login"
		if errors.Is(x.in.TokenErr, auth.ErrNoToken) {
			fix = "log in with a token (oc login --token=... or oc login -u USER); the registry takes tokens only"
		}
		x.add(Check{Name: CheckToken, Detail: oneLine(x.in.TokenErr), Fix: fix, Code: codeUnauthorized})
		return
	}
	exp, ok := auth.JWTExpiry(x.in.Token)
	switch {
	case !ok:
		x.add(Check{Name: CheckToken, OK: true, Detail: "your kubeconfig has a bearer token (opaque: it carries no expiry)"})
	case !exp.After(x.in.Now):
		x.add(Check{Name: CheckToken, Detail: fmt.Sprintf("your kubeconfig's token expired at %s", exp.UTC().Format(time.RFC3339)),
			Fix: "log in again: oc login", Code: codeUnauthorized})
	default:
		x.add(Check{Name: CheckToken, OK: true, Detail: fmt.Sprintf("your kubeconfig has a bearer token; it expires at %s (in %s)",
			exp.UTC().Format(time.RFC3339), roundDuration(exp.Sub(x.in.Now)))})
	}
}

func roundDuration(d time.Duration) string {
	if d < time.Minute {
		return "less than a minute"
	}
	return strings.TrimSuffix(d.Round(time.Minute).String(), "0s")
}

// identity asks the API server who the token belongs to.
func (x *run) identity(ctx context.Context) {
	if x.in.API == nil {
		x.add(skip(CheckIdentity, "no kubeconfig"))
		return
	}
	res, err := x.in.API.Authn.SelfSubjectReviews().Create(ctx, &authnv1.SelfSubjectReview{}, metav1.CreateOptions{})
	switch {
	case apierrors.IsUnauthorized(err):
		x.add(Check{Name: CheckIdentity, Detail: "the API server rejected your credentials: the token expired or was revoked",
			Fix: "log in again: oc login", Code: codeUnauthorized})
		return
	case apierrors.IsNotFound(err) || apierrors.IsForbidden(err):
		// An old API server without SelfSubjectReview: the next calls tell.
		x.kubeOK = true
		x.add(Check{Name: CheckIdentity, OK: true, Detail: "the API server cannot say who you are (no SelfSubjectReview); your credentials are tried below"})
		return
	case err != nil:
		x.add(Check{Name: CheckIdentity, Detail: "asking the API server who you are: " + oneLine(err),
			Fix: "check that the API server is reachable: kubectl cluster-info", Code: codeError})
		return
	}
	x.kubeOK = true
	u := res.Status.UserInfo
	if x.in.Robot == nil {
		x.r.Subject = u.Username
	}
	d := "the API server accepts your token: you are " + u.Username
	if len(u.Groups) > 0 {
		d += " (groups " + strings.Join(u.Groups, ", ") + ")"
	}
	x.add(Check{Name: CheckIdentity, OK: true, Detail: d})
}

func (x *run) robot(ctx context.Context) {
	rb := *x.in.Robot
	x.r.Subject = rb.username()
	if !x.kubeOK {
		x.add(skip(CheckRobot, "needs credentials the API server accepts"))
		return
	}
	_, err := x.in.API.Core.ServiceAccounts(rb.Namespace).Get(ctx, rb.Name, metav1.GetOptions{})
	switch {
	case err == nil:
		x.add(Check{Name: CheckRobot, OK: true, Detail: fmt.Sprintf("service account %s/%s exists", rb.Namespace, rb.Name)})
	case apierrors.IsNotFound(err):
		x.add(Check{Name: CheckRobot, Detail: fmt.Sprintf("service account %s/%s does not exist", rb.Namespace, rb.Name),
			Fix: fmt.Sprintf("create it: kubectl create serviceaccount %s -n %s", rb.Name, rb.Namespace), Code: codeError})
	case apierrors.IsForbidden(err):
		x.add(Check{Name: CheckRobot, OK: true, Detail: fmt.Sprintf("cannot tell whether service account %s/%s exists (you may not read service accounts in %s)", rb.Namespace, rb.Name, rb.Namespace)})
	default:
		x.add(Check{Name: CheckRobot, Detail: oneLine(err), Code: codeError})
	}
}

func (x *run) registryHost(ctx context.Context) {
	if x.in.API == nil && x.in.RegistryFlag == "" {
		x.add(skip(CheckHost, "the cluster publishes the host; pass --registry HOST to check without a kubeconfig"))
		return
	}
	host, source, err := x.in.Resolve(ctx)
	if err != nil {
		x.add(Check{Name: CheckHost, Detail: oneLine(err), Code: codeError,
			Fix: "pass --registry HOST: the host podman and skopeo push to"})
		return
	}
	x.host = host
	x.r.Registry = host
	x.add(Check{Name: CheckHost, OK: true, Detail: fmt.Sprintf("%s (from %s)", host, source)})
	if x.in.API != nil {
		x.clusterCA, _, _ = cluster.FetchCA(ctx, x.in.API.Core, nil, host)
	}
}

// probe is one credential-free GET /v2/, trusting roots (nil: anything).
func (x *run) probe(ctx context.Context, roots []byte, insecure bool) error {
	cfg := registry.Config{Host: x.host, HostSource: "the registry host", Insecure: insecure, Timeout: x.in.Timeout}
	if !insecure {
		pool, err := auth.TrustPool(roots)
		if err != nil {
			return err
		}
		cfg.Roots = pool
	}
	c, err := registry.New(cfg)
	if err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, x.in.Timeout)
	defer cancel()
	_, err = c.Ping(cctx)
	return err
}

// reach asks /v2/ without credentials and without verifying TLS: does a
// registry answer there at all? (Nothing secret is sent.)
func (x *run) reach(ctx context.Context) {
	if x.host == "" {
		x.add(skip(CheckReachable, "no registry host"))
		return
	}
	err := x.probe(ctx, nil, true)
	if err == nil {
		x.reachable = true
		x.add(Check{Name: CheckReachable, OK: true, Detail: x.host + " answers GET /v2/ like a registry"})
		return
	}
	fix := "check the host name and your network (try --internal or --public for the cluster's other host); '" + x.in.Program + " status' shows whether the registry runs"
	if registry.CauseOf(err) == registry.CauseNotRegistry {
		fix = "check --registry: it must be the registry's host[:port], without a path"
	}
	x.add(Check{Name: CheckReachable, Detail: oneLine(err), Fix: fix, Code: codeError})
}

// tls verifies the certificate with only what podman and skopeo read: the
// certs.d directories (or --cert-dir) and the system trust store.
func (x *run) tls(ctx context.Context) {
	if !x.reachable {
		x.add(skip(CheckTLS, "the registry is not reachable"))
		return
	}
	podman := auth.InstalledCAs(x.host, x.in.CertDir, "")
	where := "the system trust store"
	if len(podman) > 0 {
		where = "their certs.d CA files"
		if x.in.CertDir != "" {
			where = "the CA files in " + x.in.CertDir
		}
	}
	err := x.probe(ctx, podman, false)
	if err == nil {
		x.add(Check{Name: CheckTLS, OK: true, Detail: "podman and skopeo trust the registry's certificate (through " + where + ")"})
		return
	}
	if registry.CauseOf(err) != registry.CauseTLS {
		x.add(Check{Name: CheckTLS, Detail: oneLine(err), Code: codeError, Fix: "check the registry: '" + x.in.Program + " status'"})
		return
	}
	d := "podman and skopeo will not trust the registry's certificate: " + oneLine(err)
	ours, _ := auth.TrustFor(x.host, x.in.CertDir, "", x.clusterCA, x.in.CAFile)
	known := false
	if ours != nil {
		c, err := registry.New(registry.Config{Host: x.host, Roots: ours, Timeout: x.in.Timeout})
		if err == nil {
			cctx, cancel := context.WithTimeout(ctx, x.in.Timeout)
			_, perr := c.Ping(cctx)
			cancel()
			known = perr == nil
		}
	}
	var fix string
	recorded := auth.RecordedCA(x.host)
	switch {
	case !known:
		fix = "get the registry's CA (PEM) from your cluster admin, then: " + x.in.Program + " login --ca-file FILE"
	case x.in.CertDir != "" && recorded != "" && filepath.Dir(recorded) != filepath.Clean(x.in.CertDir):
		fix = fmt.Sprintf("%s holds no CA that signed the registry's certificate: give podman, skopeo and this command --cert-dir %s, where login keeps the registry's CA", x.in.CertDir, filepath.Dir(recorded))
	case x.in.CertDir != "":
		fix = fmt.Sprintf("run '%s login' first: it installs the cluster's CA (as root in ~/.config/oc-registry/certs.d/%s, the --cert-dir to give podman, skopeo and this command)", x.in.Program, x.host)
	case x.in.Root:
		fix = fmt.Sprintf("as root, podman and skopeo read only /etc/containers/certs.d: run '%s login --install-ca', or give them --cert-dir ~/.config/oc-registry/certs.d/%s (where '%s login' keeps the CA) and pass the same --cert-dir here", x.in.Program, x.host, x.in.Program)
	default:
		fix = fmt.Sprintf("run '%s login': it installs the cluster's CA in ~/.config/containers/certs.d/%s, where podman and skopeo read it", x.in.Program, x.host)
	}
	x.add(Check{Name: CheckTLS, Detail: d, Fix: fix, Code: codeError})
}

func (x *run) loginFix() string {
	cmd := x.in.Program + " login"
	if x.in.Robot != nil {
		cmd += " -z " + x.in.Robot.String()
	}
	if x.in.AuthFileFlag != "" {
		cmd += " " + x.in.AuthFileFlag
	}
	if x.in.RegistryFlag != "" {
		cmd += " --registry " + x.host
	}
	return cmd
}

// authFile checks the entry podman and skopeo will send: there is one, and
// the registry accepts it.
func (x *run) authFile(ctx context.Context) {
	path := x.in.AuthFile.Resolve()
	x.r.AuthFile = path
	if x.host == "" {
		x.add(skip(CheckAuthFile, "no registry host"))
		return
	}
	user, secret, ok := x.in.AuthFile.Credentials(x.host)
	if !ok {
		x.add(Check{Name: CheckAuthFile, Detail: fmt.Sprintf("%s has no entry for %s: podman and skopeo will send no credentials", path, x.host),
			Fix: "log in: " + x.loginFix(), Code: codeUnauthorized})
		return
	}
	x.secrets = append(x.secrets, secret)
	if !x.reachable {
		x.add(Check{Name: CheckAuthFile, Skipped: true, Detail: fmt.Sprintf("%s has an entry for %s (user %s); not checked: the registry is not reachable", path, x.host, user)})
		return
	}
	var notes []string
	exp, isJWT := auth.JWTExpiry(secret)
	if x.in.Robot != nil {
		if sub := jwtSubject(secret); sub != "" && sub != x.in.Robot.username() {
			x.add(Check{Name: CheckAuthFile, Detail: fmt.Sprintf("the entry for %s in %s is a token of %s, not of %s", x.host, path, sub, x.in.Robot.username()),
				Fix: "log in as the robot: " + x.loginFix(), Code: codeUnauthorized})
			return
		}
	} else if x.in.Token != "" && secret != x.in.Token {
		notes = append(notes, "not your kubeconfig's current token")
	}
	roots, err := auth.TrustFor(x.host, x.in.CertDir, "", x.clusterCA, x.in.CAFile)
	if err != nil {
		x.add(Check{Name: CheckAuthFile, Detail: oneLine(err), Code: codeError})
		return
	}
	c, err := registry.New(registry.Config{Host: x.host, Username: user, Secret: secret, Roots: roots, AllowRealms: x.in.AllowRealms, Timeout: x.in.Timeout})
	if err != nil {
		x.add(Check{Name: CheckAuthFile, Detail: oneLine(err), Code: codeError, Fix: "log in again: " + x.loginFix()})
		return
	}
	cctx, cancel := context.WithTimeout(ctx, x.in.Timeout)
	err = c.Check(cctx)
	cancel()
	switch registry.CauseOf(err) {
	case "":
		if err == nil {
			d := fmt.Sprintf("the registry accepts the entry for %s in %s (user %s)", x.host, path, user)
			if isJWT {
				notes = append(notes, fmt.Sprintf("expires at %s", exp.UTC().Format(time.RFC3339)))
			}
			if len(notes) > 0 {
				d += "; " + strings.Join(notes, "; ")
			}
			x.add(Check{Name: CheckAuthFile, OK: true, Detail: d})
			return
		}
	case registry.CauseUnauthorized:
		d := fmt.Sprintf("the registry rejects the entry for %s in %s: its token is old, expired or revoked", x.host, path)
		if isJWT && !exp.After(x.in.Now) {
			notes = append(notes, fmt.Sprintf("it expired at %s", exp.UTC().Format(time.RFC3339)))
		}
		if len(notes) > 0 {
			d += " (" + strings.Join(notes, "; ") + ")"
		}
		x.add(Check{Name: CheckAuthFile, Detail: d, Fix: "log in again: " + x.loginFix(), Code: codeUnauthorized})
		return
	case registry.CauseTLS:
		x.add(Check{Name: CheckAuthFile, Skipped: true, Detail: fmt.Sprintf("%s has an entry for %s (user %s); not checked: no CA to verify the registry with", path, x.host, user)})
		return
	}
	x.add(Check{Name: CheckAuthFile, Detail: "checking the entry for " + x.host + ": " + oneLine(err), Code: codeError})
}

// jwtSubject reads the sub claim of a JWT, unverified (as JWTExpiry reads
// exp): a service account token says whose it is.
func jwtSubject(token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var c struct {
		Sub string `json:"sub"`
	}
	if json.Unmarshal(b, &c) != nil {
		return ""
	}
	return c.Sub
}

func (x *run) name() {
	if x.in.Image == "" {
		x.target = image.Target{Project: x.in.Namespace}
		x.nameOK = x.in.Namespace != ""
		x.r.Project = x.in.Namespace
		if !x.nameOK {
			x.add(Check{Name: CheckName, Detail: "no image and no project given", Fix: "name the image: PROJECT/NAME", Code: codeUsage})
			return
		}
		x.add(Check{Name: CheckName, OK: true, Detail: fmt.Sprintf("no image named: checking project %s (from %s)", x.in.Namespace, x.in.NSSource)})
		return
	}
	t, err := image.ParseTarget(x.in.Image, false)
	if err != nil {
		x.add(Check{Name: CheckName, Detail: oneLine(err), Code: codeUsage,
			Fix: "name the image PROJECT/NAME[:TAG]: the registry allows exactly one project level"})
		return
	}
	x.target, x.nameOK = t, true
	x.r.Project = t.Project
	x.add(Check{Name: CheckName, OK: true, Detail: fmt.Sprintf("%s is a valid PROJECT/NAME:TAG", t.Repo()+":"+t.Tag)})
}

// permission asks the API server what the registry will ask: update (or
// get) imagestreams/layers in the project, and create imagestreams when
// the stream does not exist yet. It is computed before the project check,
// which needs its answer, and listed after it.
func (x *run) permission(ctx context.Context) Check {
	switch {
	case !x.nameOK:
		return skip(CheckPermission, "no valid image name")
	case !x.kubeOK:
		return skip(CheckPermission, "needs credentials the API server accepts")
	}
	ns, stream := x.target.Project, x.target.Name
	var d rbac.Decision
	var err error
	if x.in.Robot != nil {
		d, err = x.robotDecision(ctx, ns, stream)
	} else {
		c := &rbac.Client{Authz: x.in.API.Authz, Core: x.in.API.Core, Streams: cluster.Streams{Dynamic: x.in.API.Dynamic}}
		if x.in.Pull {
			d, err = c.CanPull(ctx, ns, stream)
		} else {
			d, err = c.CanPush(ctx, ns, stream)
		}
	}
	what := x.target.Project
	if stream != "" {
		what = x.target.Repo()
	}
	if err != nil {
		c := Check{Name: CheckPermission, Detail: "asking the API server: " + oneLine(err), Code: codeError}
		if apierrors.IsForbidden(err) && x.in.Robot != nil {
			c.Detail = fmt.Sprintf("you may not ask whether %s may %s to %s: %s", x.r.Subject, x.r.Action, what, oneLine(err))
			c.Fix = fmt.Sprintf("ask an admin of project %s to run this, or to check: %s who-can %s -n %s", ns, x.in.Program, x.r.Action, ns)
			c.Code = codeForbidden
		}
		return c
	}
	verb := "push to"
	if x.in.Pull {
		verb = "pull from"
	}
	if d.Allowed {
		return Check{Name: CheckPermission, OK: true, Detail: fmt.Sprintf("%s may %s %s", x.subject(), verb, what)}
	}
	return Check{Name: CheckPermission, Detail: x.subject() + ": " + d.Reason, Code: codeForbidden,
		Fix: fmt.Sprintf("ask an admin of project %s for the role: %s", ns, x.grant(d.Role, ns))}
}

func (x *run) subject() string {
	if x.r.Subject == "" {
		return "you"
	}
	return x.r.Subject
}

func (x *run) grant(role, ns string) string {
	who := x.r.Subject
	if x.in.Robot != nil {
		who = "--serviceaccount " + x.in.Robot.String()
	} else if who == "" {
		who = "USER"
	}
	return fmt.Sprintf("%s grant %s %s -n %s", x.in.Program, role, who, ns)
}

// robotDecision asks LocalSubjectAccessReviews (a project admin may) what
// the robot may do: the registry's questions, asked about someone else.
func (x *run) robotDecision(ctx context.Context, ns, stream string) (rbac.Decision, error) {
	rb := *x.in.Robot
	ask := func(a authzv1.ResourceAttributes) (bool, error) {
		r, err := x.in.API.Authz.LocalSubjectAccessReviews(ns).Create(ctx, &authzv1.LocalSubjectAccessReview{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns},
			Spec: authzv1.SubjectAccessReviewSpec{ResourceAttributes: &a, User: rb.username(),
				Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + rb.Namespace, "system:authenticated"}},
		}, metav1.CreateOptions{})
		if err != nil {
			return false, err
		}
		return r.Status.Allowed, nil
	}
	if x.in.Pull {
		ok, err := ask(rbac.Attributes(rbac.Pull, ns, stream))
		if err != nil || ok {
			return rbac.Decision{Allowed: ok}, err
		}
		return rbac.Decision{Reason: fmt.Sprintf("may not pull from project %s (get imagestreams/layers is denied)", ns), Role: "viewer"}, nil
	}
	ok, err := ask(rbac.Attributes(rbac.Push, ns, stream))
	if err != nil {
		return rbac.Decision{}, err
	}
	if !ok {
		return rbac.Decision{Reason: fmt.Sprintf("may not push to project %s (update imagestreams/layers is denied)", ns), Role: "builder"}, nil
	}
	if stream == "" {
		return rbac.Decision{Allowed: true}, nil
	}
	found, err := cluster.Streams{Dynamic: x.in.API.Dynamic}.ImageStreamExists(ctx, ns, stream)
	if err != nil && !apierrors.IsForbidden(err) {
		return rbac.Decision{}, err
	}
	if found {
		return rbac.Decision{Allowed: true}, nil
	}
	create, err := ask(rbac.CreateStreamAttributes(ns))
	if err != nil || create {
		return rbac.Decision{Allowed: create}, err
	}
	return rbac.Decision{Reason: fmt.Sprintf("image stream %s/%s does not exist and the robot may not create image streams (pusher cannot; builder and editor can)", ns, stream), Role: "builder"}, nil
}

// project checks that the project exists. A user who may not read it
// cannot tell a missing project from one they hold no role in; when the
// permission is denied too, that is the failure to report first.
func (x *run) project(ctx context.Context, perm Check) {
	switch {
	case !x.nameOK:
		x.add(skip(CheckProject, "no valid image name"))
		return
	case !x.kubeOK:
		x.add(skip(CheckProject, "needs credentials the API server accepts"))
		return
	}
	ns := x.target.Project
	_, err := x.in.API.Core.Namespaces().Get(ctx, ns, metav1.GetOptions{})
	switch {
	case err == nil:
		x.add(Check{Name: CheckProject, OK: true, Detail: fmt.Sprintf("project %s exists", ns)})
	case apierrors.IsNotFound(err):
		x.add(Check{Name: CheckProject, Detail: fmt.Sprintf("project %s does not exist", ns), Code: codeError,
			Fix: fmt.Sprintf("check the project name, or create the project: oc new-project %s", ns)})
	case apierrors.IsForbidden(err) && (perm.OK || perm.Skipped):
		x.add(Check{Name: CheckProject, OK: true, Detail: fmt.Sprintf("cannot tell whether project %s exists (you may not read it); the permission below holds there", ns)})
	case apierrors.IsForbidden(err):
		role := "editor"
		if x.in.Pull {
			role = "viewer"
		}
		x.add(Check{Name: CheckProject, Code: codeForbidden,
			Detail: fmt.Sprintf("project %s is not visible to you: it does not exist, or you hold no role in it", ns),
			Fix:    fmt.Sprintf("check the project name; if it is right, ask an admin of %s for a role: %s", ns, x.grant(role, ns))})
	default:
		x.add(Check{Name: CheckProject, Detail: oneLine(err), Code: codeError})
	}
}

// imageStream checks, for a pull, that there is something to pull.
func (x *run) imageStream(ctx context.Context) {
	if !x.kubeOK {
		x.add(skip(CheckImageStream, "needs credentials the API server accepts"))
		return
	}
	found, err := cluster.Streams{Dynamic: x.in.API.Dynamic}.ImageStreamExists(ctx, x.target.Project, x.target.Name)
	switch {
	case err == nil && found:
		x.add(Check{Name: CheckImageStream, OK: true, Detail: fmt.Sprintf("image stream %s exists", x.target.Repo())})
	case err == nil:
		x.add(Check{Name: CheckImageStream, Detail: fmt.Sprintf("image stream %s does not exist: there is nothing to pull", x.target.Repo()),
			Fix: "check the image name, or push it first", Code: codeError})
	case apierrors.IsForbidden(err):
		x.add(Check{Name: CheckImageStream, OK: true, Detail: fmt.Sprintf("cannot tell whether image stream %s exists (you may not read image streams in %s)", x.target.Repo(), x.target.Project)})
	default:
		x.add(Check{Name: CheckImageStream, Detail: oneLine(err), Code: codeError})
	}
}

// registry reports the registry's health as far as the user may see it.
func (x *run) registry(ctx context.Context) {
	switch {
	case !x.reachable:
		x.add(skip(CheckRegistry, "the registry is not reachable"))
		return
	case !x.kubeOK:
		x.add(Check{Name: CheckRegistry, OK: true, Detail: "the registry answers /v2/; its pods are not visible without a kubeconfig"})
		return
	}
	r, err := status.Collect(ctx, status.Clients{Core: x.in.API.Core, Apps: x.in.API.Apps, Dynamic: x.in.API.Dynamic}, cluster.Namespace, x.in.Now)
	if err != nil {
		x.add(Check{Name: CheckRegistry, OK: true, Detail: "the registry answers /v2/; its state is unknown: " + oneLine(err)})
		return
	}
	ready, total := 0, 0
	for _, p := range r.Pods.Items {
		if p.Component == "registry" {
			total++
			if p.IsReady {
				ready++
			}
		}
	}
	switch r.Verdict {
	case status.Healthy:
		d := "the registry answers /v2/ and is healthy"
		if r.Pods.State == status.StateFound {
			d += fmt.Sprintf(" (%d/%d registry pods ready)", ready, total)
		}
		x.add(Check{Name: CheckRegistry, OK: true, Detail: d})
	case status.Unknown:
		x.add(Check{Name: CheckRegistry, OK: true, Detail: "the registry answers /v2/; its pods are not visible to you"})
	case status.NotInstalled:
		// Something answers /v2/ at the host; the cluster just does not run
		// it as OpenShift's operator would (or -n named another place).
		x.add(Check{Name: CheckRegistry, OK: true, Detail: "the registry answers /v2/ (" + r.Summary + ")"})
	default:
		x.add(Check{Name: CheckRegistry, Detail: "the registry answers /v2/, but it is " + r.Summary, Code: codeError,
			Fix: "'" + x.in.Program + " status' shows why (ask a cluster admin); requests may fail until it is healthy"})
	}
}

func (x *run) judge() {
	r := x.r
	what := r.Image
	if what == "" {
		what = "project " + r.Project
	}
	verb := "push to"
	if x.in.Pull {
		verb = "pull from"
	}
	for _, c := range r.Checks {
		if !c.OK && !c.Skipped {
			r.Verdict = fmt.Sprintf("%s cannot %s %s: %s", x.subject(), verb, what, c.Detail)
			r.Fix = c.Fix
			return
		}
	}
	for _, c := range r.Checks {
		if c.Skipped {
			r.Verdict = fmt.Sprintf("not everything could be checked: %s", c.Detail)
			return
		}
	}
	r.OK = true
	r.Verdict = fmt.Sprintf("%s can %s %s at %s", x.subject(), verb, what, r.Registry)
}
