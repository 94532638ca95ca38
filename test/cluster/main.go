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
	"strconv"
	"syscall"
)

const usage = `usage: go run . up|down|env|status|stop-registry [N]|start-registry|restart-kwok

  up                start the cluster (or reuse a healthy one); prints timing and memory
  down              stop the cluster and remove its state (built binaries stay cached)
  env               print export lines: eval "$(go run . env)"
  status            exit 0 when the cluster is healthy
  stop-registry [N] stop the registry replicas, or only replica N (for fault tests)
  start-registry    start the stopped replicas again
  restart-kwok      restart kwok, cutting every pod log stream and port-forward
`

func main() {
	if len(os.Args) < 2 || len(os.Args) > 3 || len(os.Args) == 3 && os.Args[1] != "stop-registry" {
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
			which := -1
			if len(os.Args) == 3 {
				if which, err = strconv.Atoi(os.Args[2]); err != nil || which < 0 || which >= len(replicaPorts) {
					fmt.Fprintf(os.Stderr, "stop-registry takes a replica number from 0 to %d\n", len(replicaPorts)-1)
					os.Exit(2)
				}
			}
			err = stopRegistry(p, which)
		case "start-registry":
			err = startRegistry(ctx, p)
		case "restart-kwok":
			err = restartKwok(ctx, p)
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
