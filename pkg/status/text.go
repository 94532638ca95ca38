package status

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"k8s.io/apimachinery/pkg/util/duration"
)

// WriteText prints the report for people: the operator's config and
// conditions, the workloads, the pods table (kubectl's columns plus NODE),
// the routes and hosts, and the verdict line last.
func WriteText(out io.Writer, r *Report) error {
	var buf bytes.Buffer
	if err := writeText(&buf, r); err != nil {
		return err
	}
	// tabwriter pads a last empty cell; trailing blanks help no one.
	lines := strings.SplitAfter(buf.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(strings.TrimSuffix(l, "\n"), " ")
		if strings.HasSuffix(l, "\n") {
			lines[i] += "\n"
		}
	}
	_, err := io.WriteString(out, strings.Join(lines, ""))
	return err
}

func writeText(w io.Writer, r *Report) error {
	tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	op := r.Operator
	fmt.Fprintf(tw, "Operator:\t%s\n", partOr(op.Part, OperatorConfig))
	if op.State == StateFound {
		fmt.Fprintf(tw, "\tmanagementState %s, storage %s, replicas %d, logLevel %s, defaultRoute %t, readyReplicas %d\n",
			orDash(op.ManagementState), orDash(op.Storage), op.Replicas, orDash(op.LogLevel), op.DefaultRoute, op.ReadyReplicas)
	}
	dep := r.Deployment
	fmt.Fprintf(tw, "Deployment:\t%s\n", partOr(dep.Part, fmt.Sprintf("%s: %d desired, %d ready, %d updated, %d available",
		dep.Name, dep.Desired, dep.Ready, dep.Updated, dep.Available)))
	ds := r.NodeCA
	fmt.Fprintf(tw, "DaemonSet:\t%s\n", partOr(ds.Part, fmt.Sprintf("%s: %d desired, %d ready", ds.Name, ds.Desired, ds.Ready)))
	if err := tw.Flush(); err != nil {
		return err
	}

	if op.State == StateFound && len(op.Conditions) > 0 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
		fmt.Fprintln(tw, "CONDITION\tSTATUS\tREASON\tMESSAGE")
		for _, c := range op.Conditions {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Type, c.Status, orDash(c.Reason), oneLineString(c.Message))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}

	fmt.Fprintln(w)
	switch {
	case r.Pods.State != StateFound:
		fmt.Fprintf(w, "Pods: %s\n", partOr(r.Pods.Part, ""))
	case len(r.Pods.Items) == 0:
		fmt.Fprintf(w, "No registry or node-ca pods in namespace %s.\n", r.Namespace)
	default:
		tw = tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
		fmt.Fprintln(tw, "NAME\tREADY\tSTATUS\tRESTARTS\tAGE\tNODE")
		for _, p := range r.Pods.Items {
			age := "<unknown>"
			if !p.Created.IsZero() && !r.now.IsZero() {
				age = duration.HumanDuration(r.now.Sub(p.Created))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", p.Name, p.Ready, p.Status, p.Restarts, age, orDash(p.Node))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}

	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	switch {
	case r.Routes.State != StateFound:
		fmt.Fprintf(tw, "Routes:\t%s\n", partOr(r.Routes.Part, ""))
	case len(r.Routes.Items) == 0:
		fmt.Fprintf(tw, "Routes:\t(none: the registry is not exposed; 'expose' creates the default route)\n")
	default:
		for i, rt := range r.Routes.Items {
			label := ""
			if i == 0 {
				label = "Routes:"
			}
			state := "admitted"
			if !rt.Admitted {
				state = "not admitted"
				if rt.Message != "" {
					state += ": " + oneLineString(rt.Message)
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", label, rt.Name, orDash(rt.Host), state)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	h := r.Hosts
	switch h.State {
	case StateFound:
		fmt.Fprintf(w, "Internal:  %s\n", orNone(h.Internal))
		fmt.Fprintf(w, "Public:    %s\n", orNone(strings.Join(h.Public, ", ")))
		if h.From != "" {
			fmt.Fprintf(w, "           (from %s)\n", h.From)
		}
		fmt.Fprintf(w, "Service:   %s\n", orNone(h.Service))
	case StateUnknown:
		fmt.Fprintf(w, "Hosts:     unknown (%s)\n", h.Error)
	}
	fmt.Fprintln(w)
	_, err := fmt.Fprintln(w, r.Summary)
	return err
}

func partOr(p Part, found string) string {
	switch p.State {
	case StateAbsent:
		return "not found"
	case StateUnknown:
		return "unknown (" + p.Error + ")"
	}
	return found
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func oneLineString(s string) string { return strings.Join(strings.Fields(s), " ") }
