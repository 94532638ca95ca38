// Command oc-registry administers the OpenShift integrated image registry.
// Installed as kubectl-image_registry it is also "oc image-registry" and
// "kubectl image-registry".
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/oc-registry/oc-registry/pkg/clierr"
	"github.com/oc-registry/oc-registry/pkg/commands"
	"github.com/oc-registry/oc-registry/pkg/image"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first Ctrl-C cancels and lets the command clean up; restoring
	// the default handlers makes a second one kill the process.
	go func() { <-ctx.Done(); stop() }()
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	root := commands.NewRootCmd(streams, commands.DisplayName(os.Args[0]))
	err := root.ExecuteContext(ctx)
	stop()
	image.CloseStorage() // whatever the outcome: a store push opened is released

	if err != nil {
		clierr.Print(os.Stderr, err)
	}
	os.Exit(clierr.Code(err))
}
