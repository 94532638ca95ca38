package status

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/oc-registry/oc-registry/pkg/cluster"
	"github.com/oc-registry/oc-registry/pkg/registry"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
)

// ErrNoOperator means the cluster has no image registry operator config:
// not OpenShift, or the registry operator is not installed.
var ErrNoOperator = errors.New("the cluster has no image registry operator config (not OpenShift?)")

// Dry-run modes of Expose.
const (
	DryRunNone   = "none"
	DryRunClient = "client" // nothing is sent
	DryRunServer = "server" // the patch is sent with dryRun=All
)

// ExposeOptions say what Expose does.
type ExposeOptions struct {
	Enable   bool          // spec.defaultRoute wanted
	DryRun   string        // none, client or server
	Timeout  time.Duration // how long to wait for the operator
	Poll     time.Duration // 0 means 500ms
	Progress io.Writer     // where "waiting ..." goes; nil for nowhere
}

// ExposeResult is the stable shape of `expose -o json|yaml`.
type ExposeResult struct {
	DefaultRoute bool     `json:"defaultRoute"` // the value asked for
	Changed      bool     `json:"changed"`      // spec.defaultRoute was (or, in a dry run, would be) changed
	DryRun       string   `json:"dryRun"`
	Route        string   `json:"route"`          // NAMESPACE/NAME of the default route
	Host         string   `json:"host,omitempty"` // the route's host, once it has one
	Warnings     []string `json:"warnings,omitempty"`
}

// Expose merge-patches spec.defaultRoute of the operator config and waits
// until the operator has created the default route and a router gave it a
// host (or, to disable, until the route is gone). It changes nothing when
// the config already says so.
func Expose(ctx context.Context, dyn dynamic.Interface, o ExposeOptions) (*ExposeResult, error) {
	res := &ExposeResult{DefaultRoute: o.Enable, DryRun: o.DryRun, Route: cluster.Namespace + "/" + cluster.RouteName}
	if res.DryRun == "" {
		res.DryRun = DryRunNone
	}
	cfg, err := dyn.Resource(Configs).Get(ctx, "cluster", metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("reading %s: %w", OperatorConfig, ErrNoOperator)
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", OperatorConfig, err)
	}
	cur, _, _ := unstructured.NestedBool(cfg.Object, "spec", "defaultRoute")
	res.Changed = cur != o.Enable
	if res.Changed && res.DryRun != DryRunClient {
		patch := fmt.Appendf(nil, `{"spec":{"defaultRoute":%t}}`, o.Enable)
		opts := metav1.PatchOptions{}
		if res.DryRun == DryRunServer {
			opts.DryRun = []string{metav1.DryRunAll}
		}
		if _, err := dyn.Resource(Configs).Patch(ctx, "cluster", types.MergePatchType, patch, opts); err != nil {
			return nil, fmt.Errorf("setting spec.defaultRoute of %s: %w", OperatorConfig, err)
		}
	}
	if res.DryRun != DryRunNone {
		if host, err := routeHost(ctx, dyn); err == nil && o.Enable && !res.Changed {
			res.Host = host
		}
		return res, nil
	}
	poll := o.Poll
	if poll <= 0 {
		poll = 500 * time.Millisecond
	}
	said := false
	err = wait.PollUntilContextTimeout(ctx, poll, o.Timeout, true, func(ctx context.Context) (bool, error) {
		host, err := routeHost(ctx, dyn)
		switch {
		case apierrors.IsForbidden(err):
			return false, err
		case o.Enable && err == nil && host != "":
			res.Host = host
			return true, nil
		case !o.Enable && apierrors.IsNotFound(err):
			return true, nil
		case err != nil && !apierrors.IsNotFound(err) && !errors.Is(err, errNoHost):
			return false, err
		}
		if !said && o.Progress != nil {
			what := "create the route and a router to give it a host"
			if !o.Enable {
				what = "delete the route"
			}
			fmt.Fprintf(o.Progress, "waiting for the image registry operator to %s (%s) ...\n", what, res.Route)
			said = true
		}
		return false, nil
	})
	switch {
	case err == nil:
		return res, nil
	case apierrors.IsForbidden(err):
		res.Warnings = append(res.Warnings, fmt.Sprintf("spec.defaultRoute is %t, but you may not read route %s, so its host is unknown", o.Enable, res.Route))
		return res, nil
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case wait.Interrupted(err):
		state := "has no host yet"
		if !o.Enable {
			state = "still exists"
		}
		return nil, fmt.Errorf("spec.defaultRoute is %t, but after %s route %s %s: is the image registry operator running?", o.Enable, o.Timeout, res.Route, state)
	}
	return nil, err
}

var errNoHost = errors.New("the route has no host yet")

// routeHost is the default route's host: an admitting router's, else the
// spec's. The value comes from a cluster object and is checked like every
// other host before it is printed as a command to run.
func routeHost(ctx context.Context, dyn dynamic.Interface) (string, error) {
	u, err := dyn.Resource(Routes).Namespace(cluster.Namespace).Get(ctx, cluster.RouteName, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	host, _, _ := unstructured.NestedString(u.Object, "spec", "host")
	ingress, _, _ := unstructured.NestedSlice(u.Object, "status", "ingress")
	for _, in := range ingress {
		m, _ := in.(map[string]any)
		conds, _, _ := unstructured.NestedSlice(m, "conditions")
		for _, c := range conds {
			cm, _ := c.(map[string]any)
			if str(cm["type"]) == "Admitted" && str(cm["status"]) == "True" && str(m["host"]) != "" {
				host = str(m["host"])
			}
		}
	}
	if host == "" {
		return "", errNoHost
	}
	if err := registry.ValidateHost(host, "route "+cluster.Namespace+"/"+cluster.RouteName); err != nil {
		return "", err
	}
	return host, nil
}
