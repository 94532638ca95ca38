package kube

import (
	"flag"

	"github.com/spf13/pflag"
	"k8s.io/klog/v2"
)

var klogFlags *flag.FlagSet

// AddKlogFlags exposes klog's -v and nothing else: the other klog flags are
// for servers.
func AddKlogFlags(fs *pflag.FlagSet) {
	klogFlags = flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(klogFlags)
	v := pflag.PFlagFromGoFlag(klogFlags.Lookup("v"))
	v.Usage = "Log level for client-side logging (6 shows requests, 8 bodies)."
	fs.AddFlag(v)
}

// Quiet runs f with client-go's request logging off. At -v=8 client-go
// logs response bodies, and a TokenRequest response body is a token.
func Quiet(f func() error) error {
	if klogFlags == nil {
		return f()
	}
	v := klogFlags.Lookup("v")
	prev := v.Value.String()
	_ = v.Value.Set("0")
	defer func() { _ = v.Value.Set(prev) }()
	return f()
}
