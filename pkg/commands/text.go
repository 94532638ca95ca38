package commands

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// humanDuration is d in minutes for people ("1h5m", "less than a minute").
func humanDuration(d time.Duration) string {
	if d < 0 {
		return "expired"
	}
	d = d.Round(time.Minute)
	if d < time.Minute {
		return "less than a minute"
	}
	return strings.TrimSuffix(d.String(), "0s")
}

// warnf writes one "warning: ..." line.
func warnf(w io.Writer, format string, a ...any) { fmt.Fprintf(w, "warning: "+format+"\n", a...) }

// noteProject says which project a command used when -n was not given.
func noteProject(w io.Writer, namespace string) {
	fmt.Fprintf(w, "using project %q from your kubeconfig (pass -n to choose)\n", namespace)
}
