//go:build e2e

package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

var releaseSnap struct {
	once    sync.Once
	archive string
	err     error
}

// snapshotArchive runs goreleaser's whole pipeline (as make release-check
// does) for this platform into a temporary dist directory, once per test
// run, and returns the archive it made.
func snapshotArchive(t *testing.T) string {
	t.Helper()
	releaseSnap.once.Do(func() {
		gr, err := exec.LookPath("goreleaser")
		if err != nil {
			releaseSnap.err = fmt.Errorf("goreleaser is not on PATH (make tools builds it into .cache/tools/bin): %w", err)
			return
		}
		cfg, err := os.ReadFile(filepath.Join(env.root, ".goreleaser.yaml"))
		if err != nil {
			releaseSnap.err = err
			return
		}
		tmp, err := os.MkdirTemp("", "oc-registry-snapshot-")
		if err != nil {
			releaseSnap.err = err
			return
		}
		dist := filepath.Join(tmp, "dist")
		s := regexp.MustCompile(`(?m)^    goos: .*$`).ReplaceAllString(string(cfg), "    goos: ["+runtime.GOOS+"]")
		s = regexp.MustCompile(`(?m)^    goarch: .*$`).ReplaceAllString(s, "    goarch: ["+runtime.GOARCH+"]")
		s += "\ndist: " + dist + "\n"
		cfgPath := filepath.Join(tmp, "goreleaser.yaml")
		if err := os.WriteFile(cfgPath, []byte(s), 0o644); err != nil {
			releaseSnap.err = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, gr, "release", "--snapshot", "--clean", "--skip=publish", "--config", cfgPath)
		cmd.Dir = env.root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			releaseSnap.err = fmt.Errorf("goreleaser release --snapshot: %v\n%s", err, out)
			return
		}
		releaseSnap.archive = filepath.Join(dist, fmt.Sprintf("oc-registry_%s_%s.tar.gz", runtime.GOOS, runtime.GOARCH))
	})
	if releaseSnap.err != nil {
		t.Fatal(releaseSnap.err)
	}
	return releaseSnap.archive
}

// untar unpacks a .tar.gz into dir, keeping the file modes.
func untar(t *testing.T, archive, dir string) []string {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag != tar.TypeReg || strings.Contains(h.Name, "/") {
			t.Fatalf("%s: unexpected entry %q (want only top-level files)", archive, h.Name)
		}
		out, err := os.OpenFile(filepath.Join(dir, h.Name), os.O_CREATE|os.O_WRONLY|os.O_EXCL, os.FileMode(h.Mode)&0o777)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(out, tr); err != nil {
			t.Fatal(err)
		}
		out.Close()
		names = append(names, h.Name)
	}
}

// sealedPlugin unpacks the snapshot archive into a directory that, with a
// link to kubectl, is the whole PATH.
func sealedPlugin(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	names := untar(t, snapshotArchive(t), dir)
	for _, want := range []string{"kubectl-image_registry", "kubectl_complete-image_registry", "LICENSE", "README.md"} {
		found := false
		for _, n := range names {
			found = found || n == want
		}
		if !found {
			t.Fatalf("the archive lacks %s: %v", want, names)
		}
	}
	k, err := exec.LookPath("kubectl")
	if err != nil {
		t.Fatal(err)
	}
	if k, err = filepath.EvalSymlinks(k); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(k, filepath.Join(dir, "kubectl")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// inSealed runs name with PATH set to dir alone.
func inSealed(t *testing.T, dir, user, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(dir, name), args...)
	cmd.Env = []string{"PATH=" + dir, "HOME=" + t.TempDir(), "KUBECONFIG=" + kubeconfigOf(user), "LANG=C.UTF-8"}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// completionWords parses cobra's __complete output: the words, and the
// directive line.
func completionWords(t *testing.T, r result) ([]string, string) {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("completion failed: %s", r)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, ":") {
		t.Fatalf("no directive line: %s", r)
	}
	var words []string
	for _, l := range lines[:len(lines)-1] {
		w, _, _ := strings.Cut(l, "\t")
		words = append(words, w)
	}
	return words, last
}

func has(words []string, w string) bool {
	for _, x := range words {
		if x == w {
			return true
		}
	}
	return false
}

// The snapshot's archive, unpacked onto a PATH holding only it and kubectl:
// kubectl lists the plugin without warnings, runs it, and completes it
// through the shim, with words read from the local cluster.
func TestReleaseArchiveAsKubectlPlugin(t *testing.T) {
	dir := sealedPlugin(t)

	r := inSealed(t, dir, "admin", "kubectl", "plugin", "list")
	if r.code != 0 || !strings.Contains(r.stdout, filepath.Join(dir, "kubectl-image_registry")) {
		t.Fatalf("kubectl plugin list: %s", r)
	}
	if strings.Contains(strings.ToLower(r.stdout+r.stderr), "warning") {
		t.Fatalf("kubectl warns about the plugin: %s", r)
	}
	r = inSealed(t, dir, "admin", "kubectl", "image-registry", "--help")
	if r.code != 0 || !strings.Contains(r.stdout, "oc image-registry [command]") {
		t.Fatalf("kubectl image-registry --help: %s", r)
	}

	words, dir4 := completionWords(t, inSealed(t, dir, "admin", "kubectl", "__complete", "image-registry", "gr"))
	if !has(words, "grant") || dir4 != ":4" {
		t.Fatalf("kubectl image-registry gr<TAB>: %v %s", words, dir4)
	}
	for _, w := range words {
		if !strings.HasPrefix(w, "gr") {
			t.Errorf("offered %q for gr<TAB>", w)
		}
	}

	// -n <TAB>: the projects of the local cluster, a new one included.
	ns := newProject(t, "complete")
	words, _ = completionWords(t, inSealed(t, dir, "admin", "kubectl", "__complete", "image-registry", "grant", "editor", "alice", "-n", ""))
	if !has(words, ns) || !has(words, "openshift-image-registry") {
		t.Fatalf("grant editor alice -n <TAB> lacks %s or openshift-image-registry: %v", ns, words)
	}
	words, _ = completionWords(t, inSealed(t, dir, "admin", "kubectl", "__complete", "image-registry", "grant", "editor", "alice", "-n", ns[:len(ns)-3]))
	if len(words) != 1 || words[0] != ns {
		t.Fatalf("-n %s<TAB>: %v, want [%s]", ns[:len(ns)-3], words, ns)
	}

	// revoke ROLE <TAB>: who is bound to the role in the project.
	if r := ocr(t, runOpts{user: "admin"}, "grant", "editor", "alice", "bob", "-n", ns); r.code != 0 {
		t.Fatalf("grant: %s", r)
	}
	words, _ = completionWords(t, inSealed(t, dir, "admin", "kubectl", "__complete", "image-registry", "revoke", "editor", "alice", "-n", ns, ""))
	if strings.Join(words, ",") != "bob" {
		t.Fatalf("revoke editor alice -n %s <TAB>: %v, want [bob] (alice is already typed)", ns, words)
	}
	words, _ = completionWords(t, inSealed(t, dir, "admin", "kubectl", "__complete", "image-registry", "revoke", "viewer", "-n", ns, ""))
	if len(words) != 0 {
		t.Fatalf("revoke viewer <TAB> offers subjects nobody bound to viewer: %v", words)
	}

	// push SOURCE <TAB> and tag: PROJECT/ then PROJECT/NAME:TAG from the
	// image streams the registry created.
	src, _ := ociImage(t, seedFor(t))
	if r := skopeoPush(t, "alice", src, ns+"/app:v1"); r.code != 0 {
		t.Fatalf("skopeo push: %s", r)
	}
	words, d := completionWords(t, inSealed(t, dir, "admin", "kubectl", "__complete", "image-registry", "push", src, ns[:len(ns)-2]))
	if strings.Join(words, ",") != ns+"/" || d != ":6" {
		t.Fatalf("push SRC %s<TAB>: %v %s, want [%s/] with no space after it (:6)", ns[:len(ns)-2], words, d, ns)
	}
	words, _ = completionWords(t, inSealed(t, dir, "alice", "kubectl", "__complete", "image-registry", "tag", ns+"/"))
	if strings.Join(words, ",") != ns+"/app:v1" {
		t.Fatalf("tag %s/<TAB> as alice: %v, want [%s/app:v1]", ns, words, ns)
	}

	// metrics <TAB>: family names the registry really serves.
	words, _ = completionWords(t, inSealed(t, dir, "admin", "kubectl", "__complete", "image-registry", "metrics", "imageregistry_http_req"))
	if !has(words, "imageregistry_http_requests_total") {
		t.Fatalf("metrics imageregistry_http_req<TAB>: %v", words)
	}
}

// Every imageregistry_ family the registry serves is one completion offers.
func TestCompletedMetricFamiliesExist(t *testing.T) {
	_, body := scrape(t, caClient(t), "admin")
	served := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^# TYPE (imageregistry_\w+) `).FindAllStringSubmatch(body, -1) {
		served[m[1]] = true
	}
	if len(served) < 5 {
		t.Fatalf("scrape shows too few families: %v", served)
	}
	r := ocr(t, runOpts{}, "__complete", "metrics", "imageregistry_")
	words, _ := completionWords(t, r)
	for f := range served {
		if !has(words, f) {
			t.Errorf("the registry serves %s; completion does not offer it", f)
		}
	}
}

// completion bash|zsh|fish|powershell write scripts that call the binary's
// __complete; the bash one parses.
func TestCompletionScripts(t *testing.T) {
	for _, sh := range []string{"bash", "zsh", "fish", "powershell"} {
		r := ocr(t, runOpts{}, "completion", sh)
		if r.code != 0 || !strings.Contains(r.stdout, "__complete") {
			t.Fatalf("completion %s: %s", sh, r)
		}
		if sh == "bash" {
			f := filepath.Join(t.TempDir(), "c.bash")
			os.WriteFile(f, []byte(r.stdout), 0o644)
			if r := execIn(t, runOpts{}, "bash", "-n", f); r.code != 0 {
				t.Fatalf("bash -n: %s", r)
			}
			// Complete "oc-registry gr" in a real bash with the script.
			// bash-completion provides _get_comp_words_by_ref, which
			// cobra's script uses (.ci/run installs it).
			script := fmt.Sprintf(`source /usr/share/bash-completion/bash_completion
source %s
COMP_WORDS=(oc-registry gr); COMP_CWORD=1; COMP_LINE="oc-registry gr"; COMP_POINT=${#COMP_LINE}
__start_oc-registry oc-registry gr oc-registry
printf '%%s\n' "${COMPREPLY[@]}"`, f)
			r := execIn(t, runOpts{}, "bash", "-c", script)
			if !strings.Contains(r.stdout, "grant\n") || strings.Contains(r.stdout, "version") {
				t.Fatalf("bash completion of 'oc-registry gr': %s", r)
			}
		}
	}
}
