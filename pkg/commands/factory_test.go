package commands

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oc-registry/oc-registry/pkg/clierr"
	"github.com/oc-registry/oc-registry/pkg/cluster"
	"github.com/oc-registry/oc-registry/pkg/kube"
	"github.com/oc-registry/oc-registry/pkg/registry"
	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	kubefake "k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
)

// fakeFactory is the Factory over client-go fakes: a fake clientset, a
// dynamic fake that knows the OpenShift list kinds, a kubeconfig with a
// bearer token, and the real auth store in a temporary HOME.
type fakeFactory struct {
	ns       string
	explicit bool
	kube     *kubefake.Clientset
	dyn      *dynamicfake.FakeDynamicClient
	config   *rest.Config
	user     string
	roots    *x509.CertPool // trusted by every registry client, as login's --ca-file would be
	kubeErr  error          // what a broken kubeconfig makes KubeClients and Namespace return
}

// newFakeFactory is a cluster with objs, the current project ns (from the
// kubeconfig, not -n) and the kubeconfig user alice with token fakeToken.
func newFakeFactory(t *testing.T, ns string, objs ...runtime.Object) *fakeFactory {
	t.Helper()
	isolateHome(t)
	lists := map[schema.GroupVersionResource]string{
		{Group: "config.openshift.io", Version: "v1", Resource: "images"}: "ImageList",
		{Group: "route.openshift.io", Version: "v1", Resource: "routes"}:  "RouteList",
		cluster.ImageStreams: "ImageStreamList",
	}
	return &fakeFactory{
		ns:     ns,
		kube:   kubefake.NewClientset(objs...),
		dyn:    dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), lists),
		config: &rest.Config{Host: "https://api.test:6443", BearerToken: fakeToken},
		user:   "alice/api-test:6443",
	}
}

// fakeToken stands for a cluster token; it is no real credential.
const fakeToken = "sha256~fake-token-for-tests"

// isolateHome points every per-user path (auth files, the login record,
// certs.d) into temporary directories.
func isolateHome(t *testing.T) {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("XDG_RUNTIME_DIR", filepath.Join(home, "run"))
	t.Setenv("REGISTRY_AUTH_FILE", "")
	t.Setenv("KUBECONFIG", "")
}

func (f *fakeFactory) Namespace() (string, bool, error) { return f.ns, f.explicit, f.kubeErr }
func (f *fakeFactory) KubeClients() (*kube.Clients, error) {
	if f.kubeErr != nil {
		return nil, f.kubeErr
	}
	return &kube.Clients{Config: f.config, RBAC: f.kube.RbacV1(), Authz: f.kube.AuthorizationV1(),
		Authn: f.kube.AuthenticationV1(), Core: f.kube.CoreV1(), Dynamic: f.dyn}, nil
}
func (f *fakeFactory) KubeUser() string     { return f.user }
func (f *fakeFactory) AuthStore() AuthStore { return fileStore{} }
func (f *fakeFactory) Registry(cfg registry.Config) (*registry.Client, error) {
	if f.roots != nil {
		cfg.Roots = f.roots
	}
	return registry.New(cfg)
}

// ran is one command's run: what main would print, and the exit code.
type ran struct {
	stdout, stderr string
	code           int
}

func (r ran) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// run builds a command with the factory and runs it as main does:
// the error printed to stderr, the exit code from clierr.
func run(t *testing.T, f Factory, build func(Factory, genericiooptions.IOStreams) *cobra.Command, args ...string) ran {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := build(f, genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errb})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	err := cmd.ExecuteContext(context.Background())
	clierr.Print(&errb, err)
	return ran{stdout: out.String(), stderr: errb.String(), code: clierr.Code(err)}
}

func namespace(name string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
}

// fakeRegistry answers like OpenShift's registry for one token: every
// request needs Basic credentials whose password is the token.
func fakeRegistry(t *testing.T, token string) (*httptest.Server, string, []byte) {
	t.Helper()
	r := newImageRegistry(t, token)
	return r.Server, r.host(), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: r.Certificate().Raw})
}

func writeFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func readAuths(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var f struct {
		Auths map[string]any `json:"auths"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return f.Auths
}
