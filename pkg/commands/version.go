package commands

import (
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
	Output string
	genericiooptions.IOStreams
}

// NewCmdVersion builds the version command.
func NewCmdVersion(streams genericiooptions.IOStreams) *cobra.Command {
	o := &VersionOptions{IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version of oc-registry",
		Example: `  oc-registry version
  oc-registry version -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run()
		},
	}
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "Output format: json or yaml.")
	return cmd
}

// Validate checks the flags.
func (o *VersionOptions) Validate() error {
	return usageIfErr(output.Validate(o.Output))
}

// Run prints the version.
func (o *VersionOptions) Run() error {
	info := version.Info{
		Version:   version.Version,
		Commit:    version.Commit,
		Date:      version.Date,
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
	}
	return output.Print(o.Out, o.Output, info, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "oc-registry %s (commit %s, built %s, %s, %s)\n",
			info.Version, info.Commit, info.Date, info.GoVersion, info.Platform)
		return err
	})
}
