package kube

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oc-registry/oc-registry/pkg/clierr"
	"github.com/spf13/pflag"
)

func TestMissingKubeconfigIsNamed(t *testing.T) {
	f := &Flags{Kubeconfig: "/nonexistent/config"}
	_, err := f.RESTConfig()
	if err == nil || !strings.Contains(err.Error(), `kubeconfig "/nonexistent/config": file not found`) {
		t.Fatalf("err = %v", err)
	}
	t.Setenv("KUBECONFIG", "/also/missing")
	_, _, err = (&Flags{}).Namespace()
	if err == nil || !strings.Contains(err.Error(), `"/also/missing"`) {
		t.Fatalf("$KUBECONFIG: err = %v", err)
	}
}

func TestNoConfigMeansNotLoggedIn(t *testing.T) {
	t.Setenv("KUBECONFIG", "")
	t.Setenv("HOME", t.TempDir())
	_, err := (&Flags{}).RESTConfig()
	if clierr.Code(err) != clierr.CodeUnauthorized || !strings.Contains(err.Error(), "no cluster configured") {
		t.Fatalf("err = %v (code %d)", err, clierr.Code(err))
	}
}

func TestFlagsAndNamespace(t *testing.T) {
	dir := t.TempDir()
	kc := filepath.Join(dir, "config")
	os.WriteFile(kc, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u, namespace: team-a}}]
current-context: x
`), 0o600)
	f := &Flags{}
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	f.AddFlags(fs)
	for _, name := range []string{"kubeconfig", "context", "cluster", "user", "namespace", "token", "as", "as-group", "server", "certificate-authority", "insecure-skip-tls-verify", "request-timeout"} {
		if fs.Lookup(name) == nil {
			t.Errorf("missing flag --%s", name)
		}
	}
	if fs.Lookup("username") != nil || fs.Lookup("password") != nil {
		t.Error("--username/--password belong to login, not to the kube flags")
	}
	if err := fs.Parse([]string{"--kubeconfig", kc}); err != nil {
		t.Fatal(err)
	}
	ns, explicit, err := f.Namespace()
	if err != nil || ns != "team-a" || explicit {
		t.Fatalf("namespace from context: %q %v %v", ns, explicit, err)
	}
	f2 := &Flags{}
	fs2 := pflag.NewFlagSet("t", pflag.ContinueOnError)
	f2.AddFlags(fs2)
	fs2.Parse([]string{"--kubeconfig", kc, "-n", "other"})
	if ns, explicit, _ := f2.Namespace(); ns != "other" || !explicit {
		t.Fatalf("-n: %q %v", ns, explicit)
	}
	cfg, err := f2.RESTConfig()
	if err != nil || cfg.BearerToken != "t" || !strings.HasPrefix(cfg.UserAgent, "oc-registry/") {
		t.Fatalf("rest config: %+v %v", cfg, err)
	}
}
