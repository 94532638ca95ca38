// Command cluster runs a local OpenShift-like cluster made of real parts on
// 127.0.0.1: etcd, kube-apiserver, kwok and an OpenShift-style registry.
//
//	go run . up     start the cluster, or reuse a healthy one
//	go run . env    print export lines (eval "$(go run . env)")
//	go run . down   stop everything it started and remove the state
//	go run . status say whether the cluster is up
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: go run . up|down|env|status|restart-registry

  up                start the cluster (or reuse a healthy one); prints timing and memory
  down              stop the cluster and remove its state (built binaries stay cached)
  env               print export lines: eval "$(go run . env)"
  status            exit 0 when the cluster is healthy
  stop-registry     stop only the registry (for fault tests)
  start-registry    start the registry again
`

func main() {
	if len(os.Args) != 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	p, err := newPaths()
	if err == nil {
		switch os.Args[1] {
		case "up":
			err = up(ctx, p)
		case "down":
			err = down(p)
		case "env":
			err = printEnv(p)
		case "status":
			err = status(ctx, p)
		case "stop-registry":
			err = stopRegistry(p)
		case "start-registry":
			err = startRegistry(ctx, p)
		default:
			fmt.Fprint(os.Stderr, usage)
			os.Exit(2)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "cluster:", err)
		os.Exit(1)
	}
}
