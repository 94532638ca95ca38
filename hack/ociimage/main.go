// Command ociimage writes the pipeline image of oc-registry as an OCI
// layout (an index over the given platforms), without a container engine:
//
//	ociimage -out dist/image -tag v1.2.3 linux/amd64=BIN linux/arm64=BIN
//
// `make image` builds the binaries and runs it; push the result with
// `oc-registry push oci:dist/image:TAG PROJECT/oc-registry:TAG`.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/oc-registry/oc-registry/internal/ociimage"
)

func main() {
	out := flag.String("out", "dist/image", "OCI layout directory to (re)write")
	tag := flag.String("tag", "latest", "tag of the index in the layout")
	version := flag.String("version", "", "org.opencontainers.image.version (default: -tag)")
	source := flag.String("source", "https://github.com/oc-registry/oc-registry", "org.opencontainers.image.source")
	ca := flag.String("ca-bundle", "/etc/ssl/certs/ca-certificates.crt", "PEM bundle to ship as the image's CA certificates")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: ociimage [flags] OS/ARCH[/VARIANT]=BINARY...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	o := ociimage.Options{Tag: *tag, Version: *version, Source: *source, CABundle: *ca}
	if o.Version == "" {
		o.Version = *tag
	}
	for _, a := range flag.Args() {
		plat, bin, ok := strings.Cut(a, "=")
		parts := strings.Split(plat, "/")
		if !ok || len(parts) < 2 || len(parts) > 3 || bin == "" {
			fmt.Fprintf(os.Stderr, "error: %q: want OS/ARCH[/VARIANT]=BINARY, e.g. linux/arm64=dist/linux_arm64/oc-registry\n", a)
			os.Exit(2)
		}
		p := ociimage.Platform{OS: parts[0], Arch: parts[1], Binary: bin}
		if len(parts) == 3 {
			p.Variant = parts[2]
		}
		o.Platforms = append(o.Platforms, p)
	}
	if err := os.RemoveAll(*out); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	dgst, err := ociimage.Build(*out, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	fmt.Printf("oci:%s:%s %s\n", *out, *tag, dgst)
}
