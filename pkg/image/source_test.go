package image

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Source errors name the path and what is missing in it.
func TestParseSourceErrorsNameThePath(t *testing.T) {
	t.Setenv("CONTAINERS_STORAGE_CONF", "")
	t.Setenv("HOME", t.TempDir()) // no local container store to look in
	t.Setenv("XDG_DATA_HOME", "")
	empty := t.TempDir()
	os.WriteFile(filepath.Join(empty, "file"), nil, 0o600)
	for _, tt := range []struct{ src, want string }{
		{"./no-such-build-dir", "no such directory"},
		{"oci:" + filepath.Join(empty, "missing") + ":latest", "no such directory: " + filepath.Join(empty, "missing")},
		{"oci:" + empty + ":latest", empty + " has no index.json"},
		{"dir:" + empty, empty + " has no manifest.json"},
		{empty, "holds neither an OCI layout"},
		{"containers-storage:", "podman save --format oci-archive"},
		{"ftp:x", "no such directory"},
	} {
		_, err := ParseSource(tt.src)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want it to say %q", tt.src, err, tt.want)
		}
	}
}
