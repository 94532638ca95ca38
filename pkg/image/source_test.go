package image

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Source errors name the path and what is missing in it.
func TestParseSourceErrorsNameThePath(t *testing.T) {
	// A local store that does not exist: nothing of the machine's is opened.
	conf := filepath.Join(t.TempDir(), "storage.conf")
	missing := filepath.Join(t.TempDir(), "no-store")
	os.WriteFile(conf, []byte("[storage]\ndriver = \"vfs\"\ngraphroot = \""+missing+"/graph\"\nrunroot = \""+missing+"/run\"\n"), 0o600)
	t.Setenv("CONTAINERS_STORAGE_CONF", conf)
	empty := t.TempDir()
	os.WriteFile(filepath.Join(empty, "file"), nil, 0o600)
	for _, tt := range []struct{ src, want string }{
		{"./no-such-build-dir", "no such directory"},
		{"oci:" + filepath.Join(empty, "missing") + ":latest", "no such directory: " + filepath.Join(empty, "missing")},
		{"oci:" + empty + ":latest", empty + " has no index.json"},
		{"dir:" + empty, empty + " has no manifest.json"},
		{empty, "holds neither an OCI layout"},
		{"ftp:x", "no such directory"},
		{"localhost/app:latest", "no image of that name in local container storage"},
		{"containers-storage:", "podman save --format oci-archive"}, // last: it opens the store
	} {
		_, err := ParseSource(tt.src)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want it to say %q", tt.src, err, tt.want)
		}
		if _, err := os.Stat(missing); err == nil && !strings.HasPrefix(tt.src, "containers-storage:") {
			t.Errorf("%s: looking it up created a local store", tt.src)
		}
	}
}
