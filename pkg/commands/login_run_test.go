package commands

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/oc-registry/oc-registry/pkg/auth"
	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	k8stesting "k8s.io/client-go/testing"
)

func TestLoginRun(t *testing.T) {
	f := newFakeFactory(t, "team-a")
	_, host, ca := fakeRegistry(t, fakeToken)
	authFile := writeFile(t, "auth.json", []byte(`{"auths":{}}`))
	r := run(t, f, NewCmdLogin, "--registry", host, "--ca-file", writeFile(t, "ca.pem", ca), "-a", authFile, "--cert-dir", t.TempDir())
	if r.code != 0 || !strings.HasPrefix(r.stdout, "Login Succeeded! "+host+" as alice\n  credentials: "+authFile+"\n  CA: ") ||
		r.stderr != "registry "+host+" (from --registry)\n" {
		t.Fatalf("login:\n%s", r)
	}
	if _, ok := readAuths(t, authFile)[host]; !ok {
		t.Fatalf("no entry for %s in the auth file", host)
	}
	if strings.Contains(r.stdout+r.stderr, fakeToken) {
		t.Fatal("the token was printed")
	}
}

func TestLoginRunRejectedWritesNothing(t *testing.T) {
	f := newFakeFactory(t, "team-a")
	_, host, ca := fakeRegistry(t, "another-token")
	authFile := writeFile(t, "auth.json", []byte(`{"auths":{}}`))
	r := run(t, f, NewCmdLogin, "--registry", host, "--ca-file", writeFile(t, "ca.pem", ca), "-a", authFile)
	if r.code != 3 || r.stdout != "" || !strings.Contains(r.stderr, "error: token rejected by "+host) || !strings.Contains(r.stderr, "\nhint: your token has expired") {
		t.Fatalf("login with a rejected token:\n%s", r)
	}
	if len(readAuths(t, authFile)) != 0 {
		t.Fatal("a rejected login wrote credentials")
	}
}

func TestLogoutRun(t *testing.T) {
	f := newFakeFactory(t, "team-a")
	authFile := writeFile(t, "auth.json", []byte(`{"auths":{}}`))
	if _, err := (auth.AuthFile{Path: authFile}).Store(context.Background(), "registry.example.com", "alice", fakeToken); err != nil {
		t.Fatal(err)
	}
	r := run(t, f, NewCmdLogout, "--registry", "registry.example.com", "-a", authFile)
	if r.code != 0 || r.stdout != "removed credentials for registry.example.com from "+authFile+"\n" || r.stderr != "" {
		t.Fatalf("logout:\n%s", r)
	}
	if len(readAuths(t, authFile)) != 0 {
		t.Fatal("the entry is still there")
	}
	r = run(t, f, NewCmdLogout, "--registry", "registry.example.com", "-a", authFile)
	if r.code != 0 || r.stdout != "not logged in to registry.example.com\n" {
		t.Fatalf("second logout:\n%s", r)
	}
}

func TestLogoutRunWithoutARegistryOnTheCluster(t *testing.T) {
	f := newFakeFactory(t, "team-a")
	r := run(t, f, NewCmdLogout)
	if r.code != 1 || r.stdout != "" || !strings.HasPrefix(r.stderr, "error: ") || !strings.HasSuffix(r.stderr, "\nhint: pass --registry HOST\n") {
		t.Fatalf("logout on a cluster without a registry:\n%s", r)
	}
}

func TestInfoRun(t *testing.T) {
	f := newFakeFactory(t, "team-a")
	_, host, ca := fakeRegistry(t, fakeToken)
	r := run(t, f, NewCmdInfo, "--registry", host)
	if r.code != 0 || r.stdout != "registry:  "+host+" (from --registry)\nCA:        (none)\n" || r.stderr != "" {
		t.Fatalf("info:\n%s", r)
	}
	authFile := writeFile(t, "auth.json", []byte(`{"auths":{}}`))
	if _, err := (auth.AuthFile{Path: authFile}).Store(context.Background(), host, "alice", fakeToken); err != nil {
		t.Fatal(err)
	}
	r = run(t, f, NewCmdInfo, "--registry", host, "--check", "--ca-file", writeFile(t, "ca.pem", ca), "-a", authFile)
	if r.code != 0 || !strings.Contains(r.stdout, "check:     your token works\n") ||
		!strings.Contains(r.stdout, "auth file: "+authFile+": its entry works as podman and skopeo will use it\n") ||
		!strings.Contains(r.stdout, "podman:    podman and skopeo do not trust its certificate") {
		t.Fatalf("info --check:\n%s", r)
	}
}

func TestInfoRunCheckFails(t *testing.T) {
	f := newFakeFactory(t, "team-a")
	_, host, ca := fakeRegistry(t, "another-token")
	r := run(t, f, NewCmdInfo, "--registry", host, "--check", "--ca-file", writeFile(t, "ca.pem", ca), "-a", writeFile(t, "auth.json", []byte(`{"auths":{}}`)))
	if r.code != 3 || !strings.Contains(r.stdout, "check:     FAILED: ") || !strings.Contains(r.stderr, "error: token rejected by "+host) {
		t.Fatalf("info --check with a rejected token:\n%s", r)
	}
}

func TestTokenRun(t *testing.T) {
	f := newFakeFactory(t, "team-a")
	if r := run(t, f, NewCmdToken); r.code != 0 || r.stdout != fakeToken+"\n" || r.stderr != "" {
		t.Fatalf("token: exit %d, stderr %q", r.code, r.stderr) // stdout holds the (fake) token
	}
	f.kube.PrependReactor("create", "serviceaccounts", func(a k8stesting.Action) (bool, runtime.Object, error) {
		ca := a.(k8stesting.CreateAction)
		if ca.GetSubresource() != "token" || ca.GetNamespace() != "team-a" || a.(k8stesting.CreateActionImpl).Name != "bot" {
			return true, nil, apierrors.NewNotFound(corev1.Resource("serviceaccounts"), "bot")
		}
		tr := ca.GetObject().(*authnv1.TokenRequest)
		tr.Status = authnv1.TokenRequestStatus{Token: "sa-token", ExpirationTimestamp: metav1.NewTime(time.Now().Add(time.Hour))}
		return true, tr, nil
	})
	if r := run(t, f, NewCmdToken, "-z", "bot"); r.code != 0 || r.stdout != "sa-token\n" || r.stderr != "" {
		t.Fatalf("token -z bot (a bare name in the current project):\n%s", r)
	}
}

func TestTokenRunFailures(t *testing.T) {
	f := newFakeFactory(t, "team-a")
	f.config = &rest.Config{Host: "https://api.test:6443", TLSClientConfig: rest.TLSClientConfig{CertFile: "/client.crt"}}
	r := run(t, f, NewCmdToken)
	if r.code != 1 || r.stdout != "" || !strings.HasPrefix(r.stderr, "error: your kubeconfig user has no bearer token") {
		t.Fatalf("token with a client certificate:\n%s", r)
	}
	f = newFakeFactory(t, "team-a")
	r = run(t, f, NewCmdToken, "-z", "ci:bot")
	if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, "requesting a token for service account ci/bot") {
		t.Fatalf("token for a missing service account:\n%s", r)
	}
}
