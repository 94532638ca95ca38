package doctor

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oc-registry/oc-registry/pkg/auth"
	"github.com/oc-registry/oc-registry/pkg/cluster"
	appsv1 "k8s.io/api/apps/v1"
	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	kubefake "k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

const (
	goodToken = "sha256~good-token-of-alice-0123456789"
	oldToken  = "sha256~an-old-token-0123456789abcdef"
)

// world is a registry (a real TLS server speaking OpenShift's Basic auth)
// and a fake API server, with knobs for each failure.
type world struct {
	t        *testing.T
	srv      *httptest.Server
	host     string
	caPEM    []byte
	certDir  string // holds the registry CA, as podman's --cert-dir
	authPath string

	namespaces map[string]bool // projects that exist
	canRead    bool            // the user may get namespaces
	allowed    map[string]bool // "verb resource/sub ns" -> allowed
	streams    map[string]bool // "ns/name" -> exists
	lsar       func(authzv1.SubjectAccessReviewSpec) (bool, error)
	readyPods  int // of the registry's 2
}

func newWorld(t *testing.T) *world {
	t.Helper()
	t.Setenv("HOME", t.TempDir())
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("REGISTRY_AUTH_FILE", "")
	w := &world{t: t, namespaces: map[string]bool{"p": true}, canRead: true, readyPods: 2,
		allowed: map[string]bool{"update imagestreams/layers p": true, "get imagestreams/layers p": true, "create imagestreams p": true},
		streams: map[string]bool{}}
	w.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v2/" {
			http.NotFound(rw, r)
			return
		}
		if _, pass, ok := r.BasicAuth(); ok && pass == goodToken {
			rw.WriteHeader(http.StatusOK)
			return
		}
		rw.Header().Set("WWW-Authenticate", `Basic realm=openshift`)
		rw.WriteHeader(http.StatusUnauthorized)
	}))
	w.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted-CA cases make handshakes fail
	w.srv.StartTLS()
	t.Cleanup(w.srv.Close)
	u, _ := url.Parse(w.srv.URL)
	w.host = u.Host
	w.caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: w.srv.Certificate().Raw})
	w.certDir = t.TempDir()
	if err := os.WriteFile(filepath.Join(w.certDir, "ca.crt"), w.caPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	w.authPath = filepath.Join(t.TempDir(), "auth.json")
	w.login(goodToken)
	return w
}

// login writes the auth file entry podman would use.
func (w *world) login(token string) {
	b, _ := json.Marshal(map[string]any{"auths": map[string]any{w.host: map[string]string{
		"auth": base64.StdEncoding.EncodeToString([]byte("alice:" + token))}}})
	if err := os.WriteFile(w.authPath, b, 0o600); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) api() *API {
	objs := []runtime.Object{&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: cluster.CAConfigMap, Namespace: cluster.CAConfigMapNS},
		Data: map[string]string{cluster.CAKey(w.host): string(w.caPEM)}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "ci", Namespace: "p"}}}
	two := int32(2)
	objs = append(objs, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "image-registry", Namespace: cluster.Namespace},
		Spec:   appsv1.DeploymentSpec{Replicas: &two},
		Status: appsv1.DeploymentStatus{Replicas: 2, UpdatedReplicas: 2, ReadyReplicas: int32(w.readyPods), AvailableReplicas: int32(w.readyPods)}})
	for i := 0; i < 2; i++ {
		ready := corev1.ConditionTrue
		if i >= w.readyPods {
			ready = corev1.ConditionFalse
		}
		objs = append(objs, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("image-registry-%d", i), Namespace: cluster.Namespace,
			Labels: map[string]string{"docker-registry": "default"}},
			Spec:   corev1.PodSpec{Containers: []corev1.Container{{Name: "registry"}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: ready}}}})
	}
	for ns, ok := range w.namespaces {
		if ok {
			objs = append(objs, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
		}
	}
	kube := kubefake.NewClientset(objs...)
	kube.PrependReactor("create", "selfsubjectreviews", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, &authnv1.SelfSubjectReview{Status: authnv1.SelfSubjectReviewStatus{UserInfo: authnv1.UserInfo{Username: "alice", Groups: []string{"developers"}}}}, nil
	})
	kube.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		r := a.(k8stesting.CreateAction).GetObject().(*authzv1.SelfSubjectAccessReview)
		ra := r.Spec.ResourceAttributes
		res := ra.Resource
		if ra.Subresource != "" {
			res += "/" + ra.Subresource
		}
		r.Status.Allowed = w.allowed[ra.Verb+" "+res+" "+ra.Namespace]
		return true, r, nil
	})
	kube.PrependReactor("create", "localsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		r := a.(k8stesting.CreateAction).GetObject().(*authzv1.LocalSubjectAccessReview)
		ok, err := w.lsar(r.Spec)
		r.Status.Allowed = ok
		return true, r, err
	})
	forbidden := func(a k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: a.GetResource().Resource}, "", errors.New("RBAC: access denied"))
	}
	if !w.canRead {
		kube.PrependReactor("get", "namespaces", forbidden)
		kube.PrependReactor("*", "pods", forbidden)
		kube.PrependReactor("*", "deployments", forbidden)
		kube.PrependReactor("*", "daemonsets", forbidden)
	}
	var dobjs []runtime.Object
	for key, ok := range w.streams {
		if ok {
			ns, name, _ := strings.Cut(key, "/")
			u := &unstructured.Unstructured{}
			u.SetGroupVersionKind(schema.GroupVersionKind{Group: "image.openshift.io", Version: "v1", Kind: "ImageStream"})
			u.SetNamespace(ns)
			u.SetName(name)
			dobjs = append(dobjs, u)
		}
	}
	lists := map[schema.GroupVersionResource]string{cluster.ImageStreams: "ImageStreamList",
		{Group: "imageregistry.operator.openshift.io", Version: "v1", Resource: "configs"}: "ConfigList",
		{Group: "route.openshift.io", Version: "v1", Resource: "routes"}:                   "RouteList",
		{Group: "config.openshift.io", Version: "v1", Resource: "images"}:                  "ImageList"}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), lists, dobjs...)
	if !w.canRead {
		dyn.PrependReactor("*", "*", forbidden)
	}
	return &API{Authn: kube.AuthenticationV1(), Authz: kube.AuthorizationV1(), Core: kube.CoreV1(), Apps: kube.AppsV1(), Dynamic: dyn}
}

func (w *world) input(img string) Input {
	return Input{
		Image: img, Namespace: "p", NSSource: "-n",
		Kubeconfig: Kubeconfig{Context: "alice@local", Server: "https://api.example.com:6443"},
		Token:      goodToken,
		API:        w.api(),
		Resolve:    func(context.Context) (string, string, error) { return w.host, "--registry", nil },
		AuthFile:   auth.AuthFile{Path: w.authPath},
		CertDir:    w.certDir,
		Timeout:    5 * time.Second,
	}
}

func check(t *testing.T, r *Report, name string) Check {
	t.Helper()
	for _, c := range r.Checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no check %q in %+v", name, r.Checks)
	return Check{}
}

func names(r *Report) string {
	var s []string
	for _, c := range r.Checks {
		s = append(s, c.Name)
	}
	return strings.Join(s, ",")
}

func TestAllGreen(t *testing.T) {
	w := newWorld(t)
	r := Run(context.Background(), w.input("p/app:v1"))
	if !r.OK || r.Code() != 0 {
		t.Fatalf("want all green:\n%s", dump(r))
	}
	if want := "kubeconfig,token,identity,registry-host,reachable,tls,auth-file,name,project,permission,registry"; names(r) != want {
		t.Errorf("checks in the wrong order: %s", names(r))
	}
	if r.Verdict != "alice can push to p/app:v1 at "+w.host || r.Subject != "alice" || r.Project != "p" {
		t.Errorf("verdict %q", r.Verdict)
	}
}

// Each failure, alone: which check fails, the words it uses, the fix it
// names, the exit code, and which later checks are skipped.
func TestEachFailureNamesItsFix(t *testing.T) {
	tests := []struct {
		name    string
		img     string
		setup   func(w *world, in *Input)
		check   string
		detail  string
		fix     string
		code    int
		skipped []string
	}{
		{"no kubeconfig", "p/app", func(w *world, in *Input) {
			in.Kubeconfig.Err, in.API, in.Token = errors.New("no cluster configured: no kubeconfig found"), nil, ""
		}, CheckKubeconfig, "no kubeconfig found", "oc login", 3, []string{CheckToken, CheckIdentity, CheckHost, CheckProject, CheckPermission}},
		{"token expired in the kubeconfig", "p/app", func(w *world, in *Input) {
			in.Token = jwt(t, map[string]any{"exp": time.Now().Add(-time.Hour).Unix()})
		}, CheckToken, "expired at", "oc login", 3, nil},
		{"client certificate user", "p/app", func(w *world, in *Input) { in.Token, in.TokenErr = "", auth.ErrNoToken },
			CheckToken, "no bearer token", "--token", 3, nil},
		{"registry unreachable", "p/app", func(w *world, in *Input) {
			in.Resolve = func(context.Context) (string, string, error) { return "127.0.0.1:1", "--registry", nil }
		}, CheckReachable, "unreachable", "status", 1, []string{CheckTLS, CheckRegistry}},
		{"untrusted CA", "p/app", func(w *world, in *Input) { in.CertDir = t.TempDir() },
			CheckTLS, "will not trust", "login", 1, nil},
		{"no login yet", "p/app", func(w *world, in *Input) { os.Remove(w.authPath) },
			CheckAuthFile, "has no entry for", "oc-registry login", 3, nil},
		{"stale auth entry", "p/app", func(w *world, in *Input) { w.login(oldToken) },
			CheckAuthFile, "old, expired or revoked (not your kubeconfig's current token)", "log in again: oc-registry login", 3, nil},
		{"registry degraded", "p/app", func(w *world, in *Input) { w.readyPods = 1; in.API = w.api() },
			CheckRegistry, "but it is degraded: pod image-registry-1 not ready", "status", 1, nil},
		{"three-level name", "p/a/b", nil, CheckName, "one project level only", "PROJECT/NAME", 2, []string{CheckProject, CheckPermission}},
		{"project missing", "nosuch/app", func(w *world, in *Input) { in.API = w.api() },
			CheckProject, "project nosuch does not exist", "oc new-project nosuch", 1, nil},
		{"no role", "p/app", func(w *world, in *Input) { w.allowed = map[string]bool{}; in.API = w.api() },
			CheckPermission, "alice: you may not push to project p", "oc-registry grant editor alice -n p", 4, nil},
		{"pusher, new stream", "p/app", func(w *world, in *Input) {
			w.allowed = map[string]bool{"update imagestreams/layers p": true}
			in.API = w.api()
		}, CheckPermission, "does not exist and you may not create image streams", "grant builder alice -n p", 4, nil},
		{"no role, project not visible", "p/app", func(w *world, in *Input) {
			w.allowed, w.canRead = map[string]bool{}, false
			in.API = w.api()
		}, CheckProject, "does not exist, or you hold no role in it", "oc-registry grant editor alice -n p", 4, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			in := w.input(tt.img)
			if tt.setup != nil {
				tt.setup(w, &in)
			}
			r := Run(context.Background(), in)
			c := check(t, r, tt.check)
			if c.OK || c.Skipped || !strings.Contains(c.Detail, tt.detail) || !strings.Contains(c.Fix, tt.fix) {
				t.Fatalf("%s: want a failure with %q and fix %q:\n%s", tt.check, tt.detail, tt.fix, dump(r))
			}
			if r.OK || r.Code() != tt.code {
				t.Errorf("code %d, want %d", r.Code(), tt.code)
			}
			for _, s := range tt.skipped {
				if c := check(t, r, s); !c.Skipped {
					t.Errorf("%s should be skipped: %+v", s, c)
				}
			}
			if !strings.Contains(r.Verdict, "cannot push") || r.Fix == "" {
				t.Errorf("verdict without the fix: %q %q", r.Verdict, r.Fix)
			}
		})
	}
}

// A user without the right to read the namespace still gets a verdict
// when the permission holds (a robot with a cluster-wide role, say).
func TestProjectUnreadableButPermitted(t *testing.T) {
	w := newWorld(t)
	w.canRead = false
	r := Run(context.Background(), w.input("p/app"))
	if c := check(t, r, CheckProject); !c.OK || !strings.Contains(c.Detail, "cannot tell") {
		t.Fatalf("project: %+v", c)
	}
	if c := check(t, r, CheckRegistry); !c.OK || !strings.Contains(c.Detail, "not visible") {
		t.Fatalf("registry: %+v", c)
	}
	if !r.OK {
		t.Fatalf("want green:\n%s", dump(r))
	}
}

func TestPull(t *testing.T) {
	w := newWorld(t)
	w.allowed = map[string]bool{"get imagestreams/layers p": true}
	in := w.input("p/app")
	in.Pull = true
	r := Run(context.Background(), in)
	if c := check(t, r, CheckImageStream); c.OK || !strings.Contains(c.Detail, "nothing to pull") {
		t.Fatalf("pull of a missing stream: %+v", c)
	}
	w.streams["p/app"] = true
	in.API = w.api()
	if r = Run(context.Background(), in); !r.OK || !strings.Contains(r.Verdict, "alice can pull from p/app") {
		t.Fatalf("viewer pull:\n%s", dump(r))
	}
	w.allowed = map[string]bool{}
	in.API = w.api()
	r = Run(context.Background(), in)
	if c := check(t, r, CheckPermission); c.OK || !strings.Contains(c.Fix, "oc-registry grant viewer alice -n p") || r.Code() != 4 {
		t.Fatalf("pull without a role:\n%s", dump(r))
	}
}

func TestRobot(t *testing.T) {
	w := newWorld(t)
	in := w.input("p/app")
	in.Robot = &Robot{Namespace: "p", Name: "ci"}
	var asked []string
	w.lsar = func(s authzv1.SubjectAccessReviewSpec) (bool, error) {
		asked = append(asked, s.User+" "+s.ResourceAttributes.Verb+" "+s.ResourceAttributes.Resource)
		return false, nil
	}
	r := Run(context.Background(), in)
	c := check(t, r, CheckPermission)
	if c.OK || !strings.Contains(c.Fix, "oc-registry grant builder --serviceaccount p:ci -n p") || r.Subject != "system:serviceaccount:p:ci" {
		t.Fatalf("robot without a role:\n%s", dump(r))
	}
	if len(asked) == 0 || !strings.HasPrefix(asked[0], "system:serviceaccount:p:ci update imagestreams") {
		t.Errorf("asked %v", asked)
	}
	if c := check(t, r, CheckRobot); !c.OK || c.Detail != "service account p/ci exists" {
		t.Errorf("robot check: %+v", c)
	}
	// A robot that does not exist.
	missing := in
	missing.Robot = &Robot{Namespace: "p", Name: "nobody"}
	if c := check(t, Run(context.Background(), missing), CheckRobot); c.OK || !strings.Contains(c.Fix, "kubectl create serviceaccount nobody -n p") {
		t.Errorf("missing robot: %+v", c)
	}
	// The auth file holds someone else's service account token.
	w.login(jwt(t, map[string]any{"sub": "system:serviceaccount:p:other", "exp": time.Now().Add(time.Hour).Unix()}))
	w.lsar = func(authzv1.SubjectAccessReviewSpec) (bool, error) { return true, nil }
	r = Run(context.Background(), in)
	if c := check(t, r, CheckAuthFile); c.OK || !strings.Contains(c.Detail, "a token of system:serviceaccount:p:other, not of system:serviceaccount:p:ci") ||
		!strings.Contains(c.Fix, "login -z p:ci") {
		t.Fatalf("someone else's token:\n%s", dump(r))
	}
	// A caller who may not ask about others is told so, with code 4.
	w.lsar = func(authzv1.SubjectAccessReviewSpec) (bool, error) {
		return false, apierrors.NewForbidden(schema.GroupResource{Group: "authorization.k8s.io", Resource: "localsubjectaccessreviews"}, "", errors.New("no"))
	}
	r = Run(context.Background(), in)
	if c := check(t, r, CheckPermission); c.OK || !strings.Contains(c.Detail, "you may not ask whether") || r.Code() != 3 {
		// auth-file (code 3) still fails first here.
		t.Fatalf("forbidden access review:\n%s", dump(r))
	}
}

// No secret in any detail, fix or verdict, whatever fails.
func TestNoSecretInTheReport(t *testing.T) {
	w := newWorld(t)
	w.login(oldToken)
	in := w.input("p/app")
	in.TokenErr = fmt.Errorf("plugin said: token %s is weird", goodToken)
	r := Run(context.Background(), in)
	b, _ := json.Marshal(r)
	for _, s := range []string{goodToken, oldToken} {
		if strings.Contains(string(b), s) {
			t.Fatalf("the report holds a secret:\n%s", b)
		}
	}
}

func jwt(t *testing.T, claims map[string]any) string {
	t.Helper()
	b, _ := json.Marshal(claims)
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256"}`)) + "." + enc(b) + "." + enc([]byte("sig"))
}

func dump(r *Report) string {
	var b strings.Builder
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "  %-13s ok=%t skip=%t %s | fix: %s\n", c.Name, c.OK, c.Skipped, c.Detail, c.Fix)
	}
	fmt.Fprintf(&b, "verdict: %s\nfix: %s\n", r.Verdict, r.Fix)
	return b.String()
}
