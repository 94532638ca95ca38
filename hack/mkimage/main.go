// Command mkimage writes an OCI layout of random gzip layers, for benchmarks:
//
//	mkimage DIR LAYERS LAYER_MIB [SEED]
package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/oc-registry/oc-registry/internal/testimage"
)

func main() {
	if len(os.Args) < 4 {
		fmt.Fprintln(os.Stderr, "usage: mkimage DIR LAYERS LAYER_MIB [SEED]")
		os.Exit(2)
	}
	layers, err1 := strconv.Atoi(os.Args[2])
	mib, err2 := strconv.ParseInt(os.Args[3], 10, 64)
	seed := uint64(1)
	if len(os.Args) > 4 {
		s, err := strconv.ParseUint(os.Args[4], 10, 64)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bad SEED:", err)
			os.Exit(2)
		}
		seed = s
	}
	if err1 != nil || err2 != nil || layers < 1 || mib < 0 {
		fmt.Fprintln(os.Stderr, "LAYERS and LAYER_MIB must be positive numbers")
		os.Exit(2)
	}
	dgst, err := testimage.Write(os.Args[1], "latest", layers, mib<<20, seed)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(dgst)
}
