// Command docgen writes the command reference (Markdown) into a directory.
// `make docs` regenerates docs/reference; `make docs-check` fails when it is
// stale. With -man it writes man pages (section 1) instead: `make man`.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/oc-registry/oc-registry/pkg/commands"
	"github.com/oc-registry/oc-registry/pkg/version"
	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

func main() {
	man := flag.Bool("man", false, "write man pages instead of Markdown")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: docgen [-man] DIR")
		os.Exit(2)
	}
	dir := flag.Arg(0)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: io.Discard, ErrOut: io.Discard}
	root := commands.NewRootCmd(streams, "oc-registry")
	disable(root)
	if *man {
		// A fixed date: the pages change only with the commands.
		epoch := time.Unix(0, 0).UTC()
		header := &doc.GenManHeader{Title: "OC-REGISTRY", Section: "1", Source: "oc-registry " + version.Version,
			Manual: "oc-registry manual", Date: &epoch}
		if err := doc.GenManTree(root, header, dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
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
