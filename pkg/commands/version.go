package commands

import (
	"context"
	"fmt"
	"io"
	"runtime"

	"github.com/oc-registry/oc-registry/pkg/output"
	"github.com/oc-registry/oc-registry/pkg/version"
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// VersionOptions prints build information. It needs no cluster.
type VersionOptions struct {
	output.Flags
	genericiooptions.IOStreams
}

// NewCmdVersion builds the version command.
func NewCmdVersion(streams genericiooptions.IOStreams) *cobra.Command {
	o := &VersionOptions{IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version of oc-registry",
		Long: `Print the version of oc-registry.

-o json|yaml prints {"version", "commit", "date", "goVersion", "platform"}.`,
		Example: `  oc-registry version
  oc-registry version -o json`,
		Args: cobra.NoArgs,
		RunE: runE(nil, o),
	}
	o.Flags.AddFlags(cmd.Flags())
	return cmd
}

// Complete has nothing to do: version needs no cluster (and gets no
// factory).
func (o *VersionOptions) Complete(Factory, *cobra.Command, []string) error { return nil }

// Validate checks the flags.
func (o *VersionOptions) Validate() error { return usageIfErr(o.Flags.Validate()) }

// Run prints the version.
func (o *VersionOptions) Run(context.Context) error {
	info := version.Info{
		Version:   version.Version,
		Commit:    version.Commit,
		Date:      version.Date,
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
	}
	return o.Print(o.Out, info, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "oc-registry %s (commit %s, built %s, %s, %s)\n",
			info.Version, info.Commit, info.Date, info.GoVersion, info.Platform)
		return err
	})
}
