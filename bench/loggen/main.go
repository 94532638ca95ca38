// Command loggen writes N registry log lines in the CRI format kwok serves,
// for bench/logs.sh.
package main

import (
	"bufio"
	"flag"
	"log"
	"os"

	"github.com/oc-registry/oc-registry/pkg/logs"
)

func main() {
	n := flag.Int("n", 1000, "lines")
	seed := flag.Int64("seed", 1, "random seed")
	flag.Parse()
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	if err := logs.GenerateCRILines(w, *n, *seed); err != nil {
		log.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		log.Fatal(err)
	}
}
