package kube

import (
	"context"
	"flag"

	"github.com/go-logr/logr"
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

// Quiet returns ctx with client-go's request logging off for the requests
// made with it. At -v=8 client-go logs response bodies, and a TokenRequest
// response body is a token. client-go logs through the request context's
// logger, so this is per request: the global -v is not touched, and
// requests running at the same time keep their logging.
func Quiet(ctx context.Context) context.Context {
	return klog.NewContext(ctx, logr.Discard())
}
