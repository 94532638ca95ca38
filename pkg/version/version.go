// Package version holds build information set by the linker.
package version

// Set with -ldflags "-X github.com/oc-registry/oc-registry/pkg/version.Version=...".
var (
	Version = "v0.0.0-dev"
	Commit  = "unknown"
	Date    = "unknown"
)

// Info is the stable shape of `version -o json`.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Date      string `json:"date"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}
