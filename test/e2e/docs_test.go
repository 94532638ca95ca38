//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oc-registry/oc-registry/internal/testimage"
)

// A guide's shell block is run by TestGuides when its fence says
//
//	```sh runnable [user=NAME] [exit=N]
//
// user picks the kubeconfig (default admin), exit the expected exit code
// (default 0). The blocks of one guide run in order, in one working
// directory, as an unprivileged user (uid 65534): what a developer is, and
// so login installs the CA where podman and skopeo of a user read it.
// Each guide gets: PROJECT (a fresh project, where alice is editor), IMAGE
// (an OCI layout), CA_FILE (the CA of the registry's public route).
type block struct {
	file string
	line int
	user string
	exit int
	code string
}

func runnableBlocks(t *testing.T, path string) []block {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var blocks []block
	var cur *block
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if cur != nil {
			if strings.TrimSpace(line) == "```" {
				blocks = append(blocks, *cur)
				cur = nil
				continue
			}
			cur.code += line + "\n"
			continue
		}
		info, ok := strings.CutPrefix(line, "```sh runnable")
		if !ok {
			continue
		}
		cur = &block{file: filepath.Base(path), line: n, user: "admin"}
		for _, attr := range strings.Fields(info) {
			k, v, _ := strings.Cut(attr, "=")
			switch k {
			case "user":
				cur.user = v
			case "exit":
				if cur.exit, err = strconv.Atoi(v); err != nil {
					t.Fatalf("%s:%d: bad exit=%q", path, n, v)
				}
			default:
				t.Fatalf("%s:%d: unknown attribute %q", path, n, attr)
			}
		}
	}
	if cur != nil {
		t.Fatalf("%s:%d: unterminated block", path, cur.line)
	}
	return blocks
}

func TestGuides(t *testing.T) {
	guides, err := filepath.Glob(filepath.Join(env.root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	// These guides promise their commands are run; a guide that lost its
	// markers would otherwise pass silently.
	want := map[string]int{"admin-quickstart.md": 6, "developer-quickstart.md": 5, "ci.md": 2, "troubleshooting.md": 8, "openshift-mapping.md": 2}
	total := 0
	for _, g := range guides {
		blocks := runnableBlocks(t, g)
		if len(blocks) == 0 {
			continue
		}
		total += len(blocks)
		name := filepath.Base(g)
		if n, ok := want[name]; ok && len(blocks) < n {
			t.Errorf("%s has %d runnable blocks, want at least %d", name, len(blocks), n)
		}
		delete(want, name)
		t.Run(name, func(t *testing.T) { runGuide(t, blocks) })
	}
	for name := range want {
		t.Errorf("%s has no runnable block", name)
	}
	t.Logf("%d runnable blocks", total)
	// grant metrics in the guides is cluster-wide: undo it.
	ocr(t, runOpts{user: "admin"}, "revoke", "metrics", "prometheus-reader")
}

const nobody = 65534

func runGuide(t *testing.T, blocks []block) {
	// Not t.TempDir(): its parent is 0700, and the blocks run as another user.
	work, err := os.MkdirTemp("", "oc-registry-docs-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(work) })
	ns := newProject(t, "docs")
	if r := ocr(t, runOpts{user: "admin"}, "grant", "editor", "alice", "-n", ns); r.code != 0 {
		t.Fatalf("grant: %s", r)
	}
	image := filepath.Join(work, "image")
	if _, err := testimage.Write(image, "latest", 1, 16<<10, seedFor(t)); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(work, "bin")
	os.MkdirAll(bin, 0o755)
	copyFile(t, env.bin, filepath.Join(bin, "oc-registry"), 0o755)
	copyFile(t, env.ingressCA, filepath.Join(work, "ca.crt"), 0o644)
	users := map[string]bool{}
	for _, b := range blocks {
		users[b.user] = true
	}
	for u := range users {
		for _, d := range []string{"home-" + u, "run-" + u} {
			os.MkdirAll(filepath.Join(work, d), 0o700)
		}
		copyFile(t, kubeconfigOf(u), filepath.Join(work, "home-"+u, "kubeconfig"), 0o600)
	}
	asNobody := os.Getuid() == 0
	if asNobody {
		if err := chownR(work, nobody); err != nil {
			t.Fatal(err)
		}
		os.Chmod(work, 0o755)
	}
	for _, b := range blocks {
		home := filepath.Join(work, "home-"+b.user)
		vars := []string{
			"PATH=" + bin + ":/usr/local/bin:/usr/bin:/bin",
			"HOME=" + home,
			"XDG_RUNTIME_DIR=" + filepath.Join(work, "run-"+b.user),
			"KUBECONFIG=" + filepath.Join(home, "kubeconfig"),
			"LANG=C.UTF-8",
			"TMPDIR=" + home,
			"PROJECT=" + ns,
			"IMAGE=" + image,
			"CA_FILE=" + filepath.Join(work, "ca.crt"),
		}
		script := "set -euo pipefail\n" + b.code
		args := []string{"bash", "-c", script}
		if asNobody {
			args = append([]string{"setpriv", "--reuid", fmt.Sprint(nobody), "--regid", fmt.Sprint(nobody), "--clear-groups"}, args...)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		cmd := exec.CommandContext(ctx, args[0], args[1:]...)
		cmd.Dir = home
		cmd.Env = vars
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		cancel()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != b.exit {
			t.Fatalf("%s:%d (as %s): exit %d, want %d\n%s\noutput:\n%s", b.file, b.line, b.user, code, b.exit, b.code, redact(out.String()))
		}
	}
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, mode); err != nil {
		t.Fatal(err)
	}
}

func chownR(dir string, uid int) error {
	return filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, uid)
	})
}
