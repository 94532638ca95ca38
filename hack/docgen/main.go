// Command docgen writes the command reference (Markdown) into a directory.
// `make docs` regenerates docs/reference; `make docs-check` fails when it is
// stale.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/oc-registry/oc-registry/pkg/commands"
	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: docgen DIR")
		os.Exit(2)
	}
	dir := os.Args[1]
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: io.Discard, ErrOut: io.Discard}
	root := commands.NewRootCmd(streams, "oc-registry")
	disable(root)
	if err := doc.GenMarkdownTree(root, dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// disable drops the date line so the output only changes with the commands.
func disable(c *cobra.Command) {
	c.DisableAutoGenTag = true
	for _, sub := range c.Commands() {
		if strings.HasPrefix(sub.Name(), "__") {
			continue
		}
		disable(sub)
	}
}
