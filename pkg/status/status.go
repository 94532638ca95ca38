// Package status reads the integrated registry's state from the cluster —
// the operator's config and conditions, the Deployment and the node-ca
// DaemonSet, the registry and node-ca pods, the routes and the hosts the
// cluster publishes — and judges it in one line: healthy, degraded (and
// why), or not installed. What the user may not read is reported as
// unknown, not as a failure.
package status

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/oc-registry/oc-registry/pkg/cluster"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	appsclient "k8s.io/client-go/kubernetes/typed/apps/v1"
	coreclient "k8s.io/client-go/kubernetes/typed/core/v1"
)

// The objects the operator manages, and the labels on its pods.
const (
	OperatorConfig   = "configs.imageregistry.operator.openshift.io/cluster"
	DeploymentName   = "image-registry"
	DaemonSetName    = "node-ca"
	RegistrySelector = cluster.RegistrySelector
	NodeCASelector   = "name=node-ca"
)

var (
	// Configs is the operator's config resource.
	Configs = schema.GroupVersionResource{Group: "imageregistry.operator.openshift.io", Version: "v1", Resource: "configs"}
	// Routes is OpenShift's Route resource.
	Routes = schema.GroupVersionResource{Group: "route.openshift.io", Version: "v1", Resource: "routes"}
)

// Verdict is the one-word judgement.
type Verdict string

const (
	Healthy      Verdict = "healthy"
	Degraded     Verdict = "degraded"
	NotInstalled Verdict = "not-installed"
	Unknown      Verdict = "unknown" // nothing that decides it could be read
)

// States of one part of the report.
const (
	StateFound   = "found"
	StateAbsent  = "absent"
	StateUnknown = "unknown" // could not be read; Error says why
)

// Part says whether a part was found, is absent, or could not be read.
type Part struct {
	State string `json:"state"`
	Error string `json:"error,omitempty"`
}

// Report is the stable shape of `status -o json|yaml`.
type Report struct {
	Verdict    Verdict    `json:"verdict"`
	Summary    string     `json:"summary"` // the verdict line: "healthy", "degraded: ...", "not installed: ..."
	Reasons    []string   `json:"reasons"`
	Namespace  string     `json:"namespace"`
	Operator   Operator   `json:"operator"`
	Deployment Deployment `json:"deployment"`
	NodeCA     DaemonSet  `json:"nodeCA"`
	Pods       Pods       `json:"pods"`
	Routes     RouteList  `json:"routes"`
	Hosts      Hosts      `json:"hosts"`
	Warnings   []string   `json:"warnings"`

	now time.Time
}

// Operator is configs.imageregistry.operator.openshift.io/cluster.
type Operator struct {
	Part
	ManagementState string      `json:"managementState,omitempty"`
	Storage         string      `json:"storage,omitempty"` // the key under spec.storage: emptyDir, pvc, s3, ...
	Replicas        int64       `json:"replicas"`
	LogLevel        string      `json:"logLevel,omitempty"`
	DefaultRoute    bool        `json:"defaultRoute"`
	ReadyReplicas   int64       `json:"readyReplicas"`
	Conditions      []Condition `json:"conditions"`
}

// Condition is one of the operator's status conditions.
type Condition struct {
	Type               string     `json:"type"`
	Status             string     `json:"status"`
	Reason             string     `json:"reason,omitempty"`
	Message            string     `json:"message,omitempty"`
	LastTransitionTime *time.Time `json:"lastTransitionTime,omitempty"`
}

// Deployment is the image-registry Deployment's counts.
type Deployment struct {
	Part
	Name      string `json:"name"`
	Desired   int32  `json:"desired"`
	Ready     int32  `json:"ready"`
	Updated   int32  `json:"updated"`
	Available int32  `json:"available"`
}

// DaemonSet is the node-ca DaemonSet's counts.
type DaemonSet struct {
	Part
	Name    string `json:"name"`
	Desired int32  `json:"desired"`
	Ready   int32  `json:"ready"`
}

// Pods are the registry's and node-ca's pods.
type Pods struct {
	Part
	Items []Pod `json:"items"`
}

// Pod is one row of the pods table.
type Pod struct {
	Name      string    `json:"name"`
	Component string    `json:"component"` // "registry" or "node-ca"
	Ready     string    `json:"ready"`     // ready containers / containers, as kubectl shows it
	IsReady   bool      `json:"isReady"`   // Running with condition Ready True
	Status    string    `json:"status"`
	Restarts  int32     `json:"restarts"`
	Created   time.Time `json:"created"`
	Node      string    `json:"node,omitempty"`
}

// RouteList are the routes in the registry's namespace.
type RouteList struct {
	Part
	Items []Route `json:"items"`
}

// Route is one route and whether a router admitted it.
type Route struct {
	Name     string `json:"name"`
	Host     string `json:"host"`
	Admitted bool   `json:"admitted"`
	Message  string `json:"message,omitempty"`
}

// Hosts are the registry hosts the cluster publishes: the same discovery
// login uses.
type Hosts struct {
	Part
	Internal string   `json:"internal,omitempty"`
	Public   []string `json:"public,omitempty"`
	Route    string   `json:"route,omitempty"`
	Service  string   `json:"service,omitempty"`
	From     string   `json:"from,omitempty"`
}

// Clients are what Collect reads with.
type Clients struct {
	Core    coreclient.CoreV1Interface
	Apps    appsclient.AppsV1Interface
	Dynamic dynamic.Interface
}

// Collect reads every part and judges the whole. Parts the user may not
// read are unknown; an error is returned only when nothing can be asked at
// all (no credentials, API server unreachable).
func Collect(ctx context.Context, c Clients, namespace string, now time.Time) (*Report, error) {
	r := &Report{Namespace: namespace, now: now, Reasons: []string{}, Warnings: []string{}}
	steps := []struct {
		name string
		run  func() error
		part *Part
	}{
		{OperatorConfig, func() error { return r.readOperator(ctx, c.Dynamic) }, &r.Operator.Part},
		{"deployment " + DeploymentName, func() error { return r.readDeployment(ctx, c.Apps) }, &r.Deployment.Part},
		{"daemonset " + DaemonSetName, func() error { return r.readDaemonSet(ctx, c.Apps) }, &r.NodeCA.Part},
		{"pods", func() error { return r.readPods(ctx, c.Core) }, &r.Pods.Part},
		{"routes", func() error { return r.readRoutes(ctx, c.Dynamic) }, &r.Routes.Part},
		{"registry hosts", func() error { return r.readHosts(ctx, c.Dynamic, c.Core) }, &r.Hosts.Part},
	}
	for _, s := range steps {
		err := s.run()
		switch {
		case err == nil:
		case apierrors.IsNotFound(err):
			s.part.State = StateAbsent
		case fatal(err):
			return nil, fmt.Errorf("reading %s: %w", s.name, err)
		default:
			s.part.State, s.part.Error = StateUnknown, oneLine(err)
			r.Warnings = append(r.Warnings, fmt.Sprintf("%s: unknown: %s", s.name, s.part.Error))
		}
	}
	if r.Operator.Conditions == nil {
		r.Operator.Conditions = []Condition{} // a list in the schema, also when unknown
	}
	if r.Operator.State == StateFound && r.Operator.ManagementState == "Unmanaged" {
		r.Warnings = append(r.Warnings, "the operator is Unmanaged: it does not reconcile the registry, and its conditions say little")
	}
	r.evaluate()
	return r, nil
}

// fatal errors end the command: nothing else would work either.
func fatal(err error) bool {
	if apierrors.IsUnauthorized(err) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ue *url.Error
	var ne net.Error
	return errors.As(err, &ue) || errors.As(err, &ne)
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

func (r *Report) readOperator(ctx context.Context, dyn dynamic.Interface) error {
	u, err := dyn.Resource(Configs).Get(ctx, "cluster", metav1.GetOptions{})
	if err != nil {
		return err
	}
	o := &r.Operator
	o.State = StateFound
	o.ManagementState, _, _ = unstructured.NestedString(u.Object, "spec", "managementState")
	o.LogLevel, _, _ = unstructured.NestedString(u.Object, "spec", "logLevel")
	o.DefaultRoute, _, _ = unstructured.NestedBool(u.Object, "spec", "defaultRoute")
	o.Replicas, _, _ = unstructured.NestedInt64(u.Object, "spec", "replicas")
	o.ReadyReplicas, _, _ = unstructured.NestedInt64(u.Object, "status", "readyReplicas")
	if st, ok, _ := unstructured.NestedMap(u.Object, "spec", "storage"); ok {
		var kinds []string
		for k := range st {
			if k != "managementState" {
				kinds = append(kinds, k)
			}
		}
		sort.Strings(kinds)
		o.Storage = strings.Join(kinds, ",")
	}
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	o.Conditions = []Condition{}
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if !ok {
			continue
		}
		cond := Condition{Type: str(m["type"]), Status: str(m["status"]), Reason: str(m["reason"]), Message: str(m["message"])}
		if t, err := time.Parse(time.RFC3339, str(m["lastTransitionTime"])); err == nil {
			cond.LastTransitionTime = &t
		}
		o.Conditions = append(o.Conditions, cond)
	}
	return nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func (r *Report) readDeployment(ctx context.Context, apps appsclient.AppsV1Interface) error {
	d := &r.Deployment
	d.Name = DeploymentName
	dep, err := apps.Deployments(r.Namespace).Get(ctx, DeploymentName, metav1.GetOptions{})
	if err != nil {
		return err
	}
	d.State = StateFound
	d.Desired = 1
	if dep.Spec.Replicas != nil {
		d.Desired = *dep.Spec.Replicas
	}
	d.Ready, d.Updated, d.Available = dep.Status.ReadyReplicas, dep.Status.UpdatedReplicas, dep.Status.AvailableReplicas
	return nil
}

func (r *Report) readDaemonSet(ctx context.Context, apps appsclient.AppsV1Interface) error {
	d := &r.NodeCA
	d.Name = DaemonSetName
	ds, err := apps.DaemonSets(r.Namespace).Get(ctx, DaemonSetName, metav1.GetOptions{})
	if err != nil {
		return err
	}
	d.State = StateFound
	d.Desired, d.Ready = ds.Status.DesiredNumberScheduled, ds.Status.NumberReady
	return nil
}

func (r *Report) readPods(ctx context.Context, core coreclient.CoreV1Interface) error {
	r.Pods.Items = []Pod{}
	for _, sel := range []struct{ selector, component string }{{RegistrySelector, "registry"}, {NodeCASelector, "node-ca"}} {
		list, err := core.Pods(r.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.selector})
		if err != nil {
			return err
		}
		items := list.Items
		sort.Slice(items, func(i, j int) bool { return items[i].Name < items[j].Name })
		for i := range items {
			r.Pods.Items = append(r.Pods.Items, podRow(&items[i], sel.component))
		}
	}
	r.Pods.State = StateFound
	return nil
}

func podRow(p *corev1.Pod, component string) Pod {
	total := len(p.Spec.Containers)
	ready := 0
	var restarts int32
	for _, c := range p.Status.ContainerStatuses {
		if c.Ready {
			ready++
		}
		restarts += c.RestartCount
	}
	isReady := false
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			isReady = c.Status == corev1.ConditionTrue
		}
	}
	return Pod{
		Name: p.Name, Component: component,
		Ready:    fmt.Sprintf("%d/%d", ready, total),
		IsReady:  isReady && p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil,
		Status:   podStatus(p),
		Restarts: restarts,
		Created:  p.CreationTimestamp.Time.UTC(),
		Node:     p.Spec.NodeName,
	}
}

// podStatus is the STATUS column as kubectl derives it, for the cases a
// registry pod meets: the phase, a pod reason (Evicted), a container
// waiting (CrashLoopBackOff, ImagePullBackOff) or terminated, Terminating.
func podStatus(p *corev1.Pod) string {
	reason := string(p.Status.Phase)
	if reason == "" {
		reason = "Unknown"
	}
	if p.Status.Reason != "" {
		reason = p.Status.Reason
	}
	for i := len(p.Status.ContainerStatuses) - 1; i >= 0; i-- {
		c := p.Status.ContainerStatuses[i]
		switch {
		case c.State.Waiting != nil && c.State.Waiting.Reason != "":
			reason = c.State.Waiting.Reason
		case c.State.Terminated != nil && c.State.Terminated.Reason != "":
			reason = c.State.Terminated.Reason
		case c.State.Terminated != nil:
			reason = fmt.Sprintf("ExitCode:%d", c.State.Terminated.ExitCode)
		}
	}
	if p.DeletionTimestamp != nil {
		reason = "Terminating"
	}
	return reason
}

func (r *Report) readRoutes(ctx context.Context, dyn dynamic.Interface) error {
	list, err := dyn.Resource(Routes).Namespace(r.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	r.Routes.State = StateFound
	r.Routes.Items = []Route{}
	for _, u := range list.Items {
		rt := Route{Name: u.GetName()}
		rt.Host, _, _ = unstructured.NestedString(u.Object, "spec", "host")
		ingress, _, _ := unstructured.NestedSlice(u.Object, "status", "ingress")
		for _, in := range ingress {
			m, _ := in.(map[string]any)
			if rt.Host == "" {
				rt.Host = str(m["host"])
			}
			conds, _, _ := unstructured.NestedSlice(m, "conditions")
			for _, c := range conds {
				cm, _ := c.(map[string]any)
				if str(cm["type"]) == "Admitted" {
					rt.Admitted = str(cm["status"]) == "True"
					rt.Message = str(cm["message"])
				}
			}
		}
		r.Routes.Items = append(r.Routes.Items, rt)
	}
	sort.Slice(r.Routes.Items, func(i, j int) bool { return r.Routes.Items[i].Name < r.Routes.Items[j].Name })
	return nil
}

// readHosts is login's discovery. It reads the registry's own namespace
// (cluster.Namespace); with another namespace there is nothing to say.
func (r *Report) readHosts(ctx context.Context, dyn dynamic.Interface, core coreclient.CoreV1Interface) error {
	if r.Namespace != cluster.Namespace {
		r.Hosts.State = StateAbsent
		return nil
	}
	reg, err := cluster.Lookup(ctx, dyn, core)
	if err != nil {
		return err
	}
	h := &r.Hosts
	h.State = StateFound
	h.Internal, h.Public, h.Route, h.Service, h.From = reg.Internal, reg.Public, reg.Route, reg.Service, reg.From
	return nil
}

// evaluate sets the verdict, the reasons and the summary line.
func (r *Report) evaluate() {
	op, dep := r.Operator, r.Deployment
	switch {
	case op.State == StateFound && op.ManagementState == "Removed":
		r.set(NotInstalled, "managementState is Removed in "+OperatorConfig)
		return
	case (op.State != StateFound || r.Namespace != cluster.Namespace) && dep.State == StateAbsent:
		// The operator's config describes its own namespace only.
		why := fmt.Sprintf("no deployment %s in namespace %s", DeploymentName, r.Namespace)
		if op.State == StateAbsent {
			why = "no " + OperatorConfig + " and " + why
		}
		r.set(NotInstalled, why)
		return
	case op.State == StateUnknown && dep.State == StateUnknown && r.Pods.State == StateUnknown:
		r.set(Unknown, "you may not read the registry's operator config, deployment or pods")
		return
	}
	var reasons []string
	add := func(format string, a ...any) {
		s := fmt.Sprintf(format, a...)
		for _, old := range reasons {
			if old == s {
				return
			}
		}
		reasons = append(reasons, s)
	}
	cond := func(c Condition) string {
		s := c.Type
		if c.Reason != "" {
			s += " (" + c.Reason + ")"
		}
		if c.Message != "" {
			s += ": " + c.Message
		}
		return s
	}
	if op.State == StateFound && op.ManagementState != "Unmanaged" {
		for _, c := range op.Conditions {
			switch {
			case c.Type == "Available" && c.Status != "True":
				add("operator not %s", cond(c))
			case strings.HasSuffix(c.Type, "Degraded") && c.Status == "True":
				add("operator %s", cond(c))
			case c.Type == "StorageExists" && c.Status == "False":
				add("operator %s", cond(c))
			}
		}
	}
	registryPods := 0
	for _, p := range r.Pods.Items {
		if p.Component == "registry" {
			registryPods++
		}
		if !p.IsReady {
			add("pod %s not ready (%s, %s)", p.Name, p.Ready, p.Status)
		}
	}
	if dep.State == StateFound {
		if dep.Desired == 0 {
			add("deployment %s is scaled to 0", dep.Name)
		} else if dep.Ready < dep.Desired {
			add("deployment %s has %d/%d ready", dep.Name, dep.Ready, dep.Desired)
		}
		if r.Pods.State == StateFound && registryPods == 0 && dep.Desired > 0 {
			add("no registry pods (%s) in namespace %s", RegistrySelector, r.Namespace)
		}
	}
	if dep.State == StateAbsent && op.State == StateFound {
		add("deployment %s not found in namespace %s", DeploymentName, r.Namespace)
	}
	if r.NodeCA.State == StateFound && r.NodeCA.Ready < r.NodeCA.Desired {
		add("daemonset %s has %d/%d ready", r.NodeCA.Name, r.NodeCA.Ready, r.NodeCA.Desired)
	}
	if op.State == StateFound && op.ManagementState != "Unmanaged" {
		for _, c := range op.Conditions {
			if c.Type == "Progressing" && c.Status == "True" {
				add("operator %s", cond(c))
			}
		}
	}
	if len(reasons) == 0 {
		r.set(Healthy, "")
		return
	}
	r.set(Degraded, reasons...)
}

func (r *Report) set(v Verdict, reasons ...string) {
	r.Verdict = v
	r.Reasons = append([]string{}, reasons...)
	if len(reasons) == 1 && reasons[0] == "" {
		r.Reasons = []string{}
	}
	switch {
	case v == NotInstalled:
		r.Summary = "not installed: " + strings.Join(r.Reasons, "; ")
	case len(r.Reasons) == 0:
		r.Summary = string(v)
	default:
		r.Summary = string(v) + ": " + strings.Join(r.Reasons, "; ")
	}
}
