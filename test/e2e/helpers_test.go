//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oc-registry/oc-registry/internal/testimage"
)

type result struct {
	stdout, stderr string
	code           int
}

// redact hides every cluster token, so no test output ever shows one.
func redact(s string) string {
	for name, tok := range env.tokens {
		s = strings.ReplaceAll(s, tok, "<token of "+name+">")
	}
	return s
}

func (r result) String() string {
	return redact(fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr))
}

func kubeconfigOf(user string) string { return filepath.Join(env.state, "kubeconfig-"+user) }

// sealedEnv is the whole environment a command gets: its own HOME, the
// user's kubeconfig and a PATH with only our binaries and the system's.
func sealedEnv(home, user string, extra ...string) []string {
	e := []string{
		"HOME=" + home,
		"PATH=" + env.binDir + ":" + filepath.Dir(env.crane) + ":/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
		"LANG=C.UTF-8",
		"TMPDIR=" + os.TempDir(),
	}
	if user != "" {
		e = append(e, "KUBECONFIG="+kubeconfigOf(user))
	}
	return append(e, extra...)
}

type runOpts struct {
	user  string
	home  string
	stdin string
	env   []string
}

func execIn(t *testing.T, o runOpts, name string, args ...string) result {
	t.Helper()
	if o.home == "" {
		o.home = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = sealedEnv(o.home, o.user, o.env...)
	cmd.Stdin = strings.NewReader(o.stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("running %s: %v", name, err)
		}
		code = ee.ExitCode()
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// ocr runs oc-registry as the given user.
func ocr(t *testing.T, o runOpts, args ...string) result {
	t.Helper()
	return execIn(t, o, env.bin, args...)
}

func kubectl(t *testing.T, user string, args ...string) result {
	t.Helper()
	return execIn(t, runOpts{user: user}, "kubectl", args...)
}

func mustKubectl(t *testing.T, user string, args ...string) string {
	t.Helper()
	r := kubectl(t, user, args...)
	if r.code != 0 {
		t.Fatalf("kubectl %s: %s", strings.Join(args, " "), r)
	}
	return r.stdout
}

// newProject creates a fresh namespace. Namespaces are never deleted: there
// is no namespace controller to finalize them.
func newProject(t *testing.T, prefix string) string {
	t.Helper()
	b := make([]byte, 3)
	rand.Read(b)
	ns := fmt.Sprintf("%s-%s", prefix, hex.EncodeToString(b))
	mustKubectl(t, "admin", "create", "namespace", ns)
	// What a new OpenShift project holds (labelled
	// e2e.oc-registry/project-default, so that tests about the bindings
	// oc-registry makes can leave them out): the requester's admin binding
	// (openshift-apiserver's project request template) and the service
	// accounts' bindings the default-rolebindings controller adds.
	bindings := ""
	for _, b := range []struct{ name, role, kind, subject string }{
		{"admin", "admin", "User", "admin"},
		{"system:image-pullers", "system:image-puller", "Group", "system:serviceaccounts:" + ns},
		{"system:image-builders", "system:image-builder", "ServiceAccount", "builder"},
		{"system:deployers", "system:deployer", "ServiceAccount", "deployer"},
	} {
		subj := fmt.Sprintf("{kind: %s, name: %q, apiGroup: rbac.authorization.k8s.io}", b.kind, b.subject)
		if b.kind == "ServiceAccount" {
			subj = fmt.Sprintf("{kind: ServiceAccount, name: %s, namespace: %s}", b.subject, ns)
		}
		bindings += fmt.Sprintf("---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: %q, namespace: %s, labels: {e2e.oc-registry/project-default: \"true\"}}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: %q}\nsubjects: [%s]\n",
			b.name, ns, b.role, subj)
	}
	if r := execIn(t, runOpts{user: "admin", stdin: bindings}, "kubectl", "create", "-f", "-"); r.code != 0 {
		t.Fatalf("project bindings: %s", r)
	}
	return ns
}

// authFile writes a containers auth.json holding user's token for the
// registry, so that no token goes on a command line.
func authFile(t *testing.T, user string, hosts ...string) string {
	t.Helper()
	if len(hosts) == 0 {
		hosts = []string{env.registry}
	}
	auths := map[string]any{}
	for _, h := range hosts {
		auths[h] = map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(user + ":" + env.tokens[user]))}
	}
	b, _ := json.Marshal(map[string]any{"auths": auths})
	p := filepath.Join(t.TempDir(), "auth.json")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// certDir holds the cluster CA as ca.crt, the layout skopeo's --*-cert-dir wants.
func certDir(t *testing.T) string {
	t.Helper()
	d := t.TempDir()
	ca, err := os.ReadFile(env.caFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, "ca.crt"), ca, 0o644); err != nil {
		t.Fatal(err)
	}
	return d
}

// ociImage writes a small OCI layout and returns "oci:DIR:latest" and its digest.
func ociImage(t *testing.T, seed uint64) (string, string) {
	t.Helper()
	dir := t.TempDir()
	dgst, err := testimage.Write(dir, "latest", 2, 64<<10, seed)
	if err != nil {
		t.Fatal(err)
	}
	return "oci:" + dir + ":latest", dgst
}

func skopeo(t *testing.T, args ...string) result {
	t.Helper()
	return execIn(t, runOpts{}, "skopeo", args...)
}

// skopeoPush copies src to docker://registry/repo as user, trusting the CA.
func skopeoPush(t *testing.T, user, src, repo string) result {
	t.Helper()
	return skopeo(t, "copy", "--quiet", "--dest-authfile", authFile(t, user), "--dest-cert-dir", certDir(t),
		src, "docker://"+env.registry+"/"+repo)
}

func seedFor(t *testing.T) uint64 {
	var b [8]byte
	rand.Read(b[:])
	var s uint64
	for _, x := range b {
		s = s<<8 | uint64(x)
	}
	return s
}
