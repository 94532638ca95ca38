package main

// The local cluster has no cluster-image-registry-operator, no kubelet
// readiness probes and no deployment controller. This loop runs inside the
// registry front ("registry-lb", --balance) and plays, once a second, the
// parts that `status`, `doctor` and `expose` read, from the same objects and
// signals the real components use:
//
//   - the kubelet's readiness probe: GET https://<replica>/v2/ must answer
//     401; the answer sets the Ready and ContainersReady conditions and the
//     container's ready flag of that replica's pod (a replica that refused
//     connections and answers again counts as a container restart). Like the
//     kubelet's HTTPS probes, it does not verify the certificate.
//   - the deployment controller: Deployment image-registry's
//     status.replicas, readyReplicas, availableReplicas, updatedReplicas and
//     its Available condition, from its pods.
//   - the router: a route the loop creates is admitted at once.
//   - the operator, as openshift/cluster-image-registry-operator does it:
//     spec.defaultRoute true creates Route default-route (reencrypt, to the
//     image-registry service, annotated imageregistry.openshift.io:
//     pkg/resource/generator.go listRoutes and pkg/resource/route.go), false
//     deletes it; the image config's status.externalRegistryHostnames gains
//     or loses that host with it, default route first
//     (pkg/operator/imageconfig.go getRouteHostnames); status.readyReplicas
//     and the Available, Progressing and Degraded conditions follow the
//     Deployment and the routes with the operator's reasons
//     (pkg/operator/status.go syncStatus): Available Ready,
//     MinimumAvailability, NoReplicasAvailable, DeploymentNotFound or
//     Unmanaged; Progressing Ready, DeploymentNotCompleted,
//     WaitingForDeployment or Unmanaged; Degraded Unavailable (after a minute
//     without availability), RouteDegraded (a route not admitted), else
//     False. Conditions of other types are kept as they are.
//
// Where it is simpler than the real thing, on purpose: it never rewrites an
// existing route's spec (tests patch it to hostile values and restore it),
// it writes the image config only when it creates or deletes the route (so
// tests that patch that status are not fought), Degraded False says
// AsExpected (library-go's word, and the fixture's) where the operator
// leaves the reason empty, and managementState Removed deletes nothing.
//
// It is switched on by --operator, which must come after --balance and
// --kubeconfig on the command line (main.go stays the registry's main: the
// flag's Set starts the loop, while the flags are being parsed).

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	appsclient "k8s.io/client-go/kubernetes/typed/apps/v1"
	coreclient "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/clientcmd"
)

const (
	opNamespace   = "openshift-image-registry"
	opDeployment  = "image-registry"
	opService     = "image-registry"
	opRoute       = "default-route"
	opRouteMarker = "imageregistry.openshift.io" // RouteOwnerAnnotation in pkg/resource/route.go
	opContainer   = "registry"
	opInterval    = time.Second
	// The operator reports Degraded/Unavailable once Available has not been
	// True for this long.
	opUnavailableAfter = time.Minute
)

var (
	opConfigs = schema.GroupVersionResource{Group: "imageregistry.operator.openshift.io", Version: "v1", Resource: "configs"}
	opImages  = schema.GroupVersionResource{Group: "config.openshift.io", Version: "v1", Resource: "images"}
	opRoutes  = schema.GroupVersionResource{Group: "route.openshift.io", Version: "v1", Resource: "routes"}
)

func init() {
	flag.Var(operatorFlag{}, "operator", "with --balance: also run the local operator loop, as routeHost=HOST;pods=POD0,POD1 (one pod per --balance replica, in order; needs --kubeconfig before it)")
}

type operatorFlag struct{}

func (operatorFlag) String() string { return "" }

// Set parses the value and starts the loop. It reads --balance and
// --kubeconfig, which flag.Parse has set already when they come first.
func (operatorFlag) Set(v string) error {
	kc, bal := flag.Lookup("kubeconfig"), flag.Lookup("balance")
	if kc == nil || bal == nil || kc.Value.String() == "" || bal.Value.String() == "" {
		return errors.New("--operator must come after --balance and --kubeconfig")
	}
	op := &operator{backends: strings.Split(bal.Value.String(), ","), down: map[int]bool{}}
	for _, kv := range strings.Split(v, ";") {
		k, val, _ := strings.Cut(kv, "=")
		switch k {
		case "routeHost":
			op.routeHost = val
		case "pods":
			op.pods = strings.Split(val, ",")
		default:
			return fmt.Errorf("--operator: unknown key %q", k)
		}
	}
	if op.routeHost == "" || len(op.pods) != len(op.backends) {
		return fmt.Errorf("--operator needs routeHost and one pod per replica (%d replicas, %d pods)", len(op.backends), len(op.pods))
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kc.Value.String())
	if err != nil {
		return fmt.Errorf("--operator: kubeconfig: %w", err)
	}
	if op.core, err = coreclient.NewForConfig(cfg); err != nil {
		return err
	}
	if op.apps, err = appsclient.NewForConfig(cfg); err != nil {
		return err
	}
	if op.dyn, err = dynamic.NewForConfig(cfg); err != nil {
		return err
	}
	op.probe = &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // as kubelet HTTPS probes
		DisableKeepAlives: true,
	}}
	go op.run()
	return nil
}

type operator struct {
	backends  []string
	pods      []string
	routeHost string
	core      coreclient.CoreV1Interface
	apps      appsclient.AppsV1Interface
	dyn       dynamic.Interface
	probe     *http.Client
	down      map[int]bool // replicas that refused connections at the last probe
	lastErr   string
}

func (op *operator) run() {
	fmt.Fprintf(os.Stderr, "operator: reconciling %s every %s (replicas %v, pods %v, route host %s)\n",
		opNamespace, opInterval, op.backends, op.pods, op.routeHost)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := op.sync(ctx)
		cancel()
		// Say each new error once, and when it clears, instead of every second.
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		if msg != op.lastErr {
			if msg == "" {
				fmt.Fprintln(os.Stderr, "operator: in sync again")
			} else {
				fmt.Fprintln(os.Stderr, "operator:", msg)
			}
			op.lastErr = msg
		}
		time.Sleep(opInterval)
	}
}

func (op *operator) sync(ctx context.Context) error {
	errs := []error{op.syncPods(ctx)}
	errs = append(errs, op.syncDeployment(ctx))
	errs = append(errs, op.syncOperator(ctx))
	return errors.Join(errs...)
}

// probeReplica is the readiness probe: ready when /v2/ answers 401. It
// also says whether the process was gone (connection refused).
func (op *operator) probeReplica(ctx context.Context, addr string) (ready, refused bool) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+addr+"/v2/", nil)
	resp, err := op.probe.Do(req)
	if err != nil {
		var oe *net.OpError
		return false, errors.As(err, &oe) && oe.Op == "dial"
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusUnauthorized, false
}

// syncPods sets each running replica pod's readiness from its probe.
func (op *operator) syncPods(ctx context.Context) error {
	var errs []error
	for i, name := range op.pods {
		ready, refused := op.probeReplica(ctx, op.backends[i])
		pod, err := op.core.Pods(opNamespace).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if pod.Status.Phase != corev1.PodRunning {
			continue // probes run in running containers only
		}
		restarted := ready && op.down[i]
		if !ready {
			op.down[i] = refused || op.down[i]
		} else {
			op.down[i] = false
		}
		if podReady(pod) == ready && !restarted {
			continue
		}
		if err := op.patchPodReady(ctx, pod, ready, restarted); err != nil {
			errs = append(errs, fmt.Errorf("pod %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// patchPodReady writes what the kubelet writes when a readiness probe
// flips: the two conditions and the container's ready flag.
func (op *operator) patchPodReady(ctx context.Context, pod *corev1.Pod, ready, restarted bool) error {
	now := metav1.Now().UTC().Format(time.RFC3339)
	status, reason, msg := "True", "", ""
	if !ready {
		status, reason, msg = "False", "ContainersNotReady", "containers with unready status: ["+opContainer+"]"
	}
	cond := func(t string) map[string]any {
		return map[string]any{"type": t, "status": status, "reason": reason, "message": msg, "lastTransitionTime": now}
	}
	cs := map[string]any{"name": opContainer, "ready": ready}
	for _, c := range pod.Status.ContainerStatuses {
		if c.Name == opContainer && restarted {
			cs["restartCount"] = c.RestartCount + 1
			cs["state"] = map[string]any{"running": map[string]any{"startedAt": now}}
		}
	}
	patch, _ := json.Marshal(map[string]any{"status": map[string]any{
		"conditions":        []any{cond("Ready"), cond("ContainersReady")},
		"containerStatuses": []any{cs},
	}})
	_, err := op.core.Pods(opNamespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "status")
	return err
}

// syncDeployment is the deployment controller's status: counts of the
// Deployment's pods, and Available when no more than maxUnavailable (25%,
// rounded down, the default) are missing.
func (op *operator) syncDeployment(ctx context.Context) error {
	dep, err := op.apps.Deployments(opNamespace).Get(ctx, opDeployment, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	sel, err := metav1.LabelSelectorAsSelector(dep.Spec.Selector)
	if err != nil {
		return err
	}
	pods, err := op.core.Pods(opNamespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return err
	}
	var total, ready int32
	for i := range pods.Items {
		p := &pods.Items[i]
		if p.DeletionTimestamp != nil {
			continue
		}
		total++
		if p.Status.Phase == corev1.PodRunning && podReady(p) {
			ready++
		}
	}
	if total == 0 {
		return nil // no pods yet: the fixture is still starting
	}
	desired := int32(1)
	if dep.Spec.Replicas != nil {
		desired = *dep.Spec.Replicas
	}
	want := dep.Status.DeepCopy()
	want.ObservedGeneration = dep.Generation
	want.Replicas, want.UpdatedReplicas = total, total
	want.ReadyReplicas, want.AvailableReplicas = ready, ready
	want.UnavailableReplicas = max(desired-ready, 0)
	avail := appsv1.DeploymentCondition{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue,
		Reason: "MinimumReplicasAvailable", Message: "Deployment has minimum availability."}
	if ready < desired-desired/4 {
		avail.Status, avail.Reason, avail.Message = corev1.ConditionFalse, "MinimumReplicasUnavailable", "Deployment does not have minimum availability."
	}
	want.Conditions = setDeploymentCondition(want.Conditions, avail)
	if reflect.DeepEqual(*want, dep.Status) {
		return nil
	}
	// A whole-status update (with the object's resourceVersion): a merge
	// patch could not clear a count that drops to 0 (omitempty).
	next := dep.DeepCopy()
	next.Status = *want
	_, err = op.apps.Deployments(opNamespace).UpdateStatus(ctx, next, metav1.UpdateOptions{})
	if apierrors.IsConflict(err) {
		return nil // changed meanwhile: the next round sees the new object
	}
	return err
}

func setDeploymentCondition(conds []appsv1.DeploymentCondition, c appsv1.DeploymentCondition) []appsv1.DeploymentCondition {
	now := metav1.Now()
	for i, old := range conds {
		if old.Type != c.Type {
			continue
		}
		if old.Status == c.Status && old.Reason == c.Reason && old.Message == c.Message {
			return conds
		}
		c.LastUpdateTime = now
		c.LastTransitionTime = old.LastTransitionTime
		if old.Status != c.Status || old.LastTransitionTime.IsZero() {
			c.LastTransitionTime = now
		}
		out := slices.Clone(conds)
		out[i] = c
		return out
	}
	c.LastUpdateTime, c.LastTransitionTime = now, now
	return append(slices.Clone(conds), c)
}

// syncOperator reconciles the default route and the operator's status.
func (op *operator) syncOperator(ctx context.Context) error {
	cfg, err := op.dyn.Resource(opConfigs).Get(ctx, "cluster", metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	mgmt, _, _ := unstructured.NestedString(cfg.Object, "spec", "managementState")
	if mgmt == "Managed" || mgmt == "" {
		want, _, _ := unstructured.NestedBool(cfg.Object, "spec", "defaultRoute")
		if err := op.syncRoute(ctx, want); err != nil {
			return fmt.Errorf("route %s: %w", opRoute, err)
		}
	}
	dep, err := op.apps.Deployments(opNamespace).Get(ctx, opDeployment, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		dep, err = nil, nil
	}
	if err != nil {
		return err
	}
	routes, err := op.dyn.Resource(opRoutes).Namespace(opNamespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	old, _, _ := unstructured.NestedSlice(cfg.Object, "status", "conditions")
	conds, ready := operatorStatus(mgmt, dep, routes.Items, old, time.Now())
	oldReady, _, _ := unstructured.NestedInt64(cfg.Object, "status", "readyReplicas")
	if reflect.DeepEqual(conds, old) && oldReady == int64(ready) {
		return nil
	}
	// A merge patch of status alone: a concurrent change of spec (expose)
	// is never overwritten.
	patch, _ := json.Marshal(map[string]any{"status": map[string]any{"conditions": conds, "readyReplicas": ready}})
	_, err = op.dyn.Resource(opConfigs).Patch(ctx, "cluster", types.MergePatchType, patch, metav1.PatchOptions{})
	return err
}

// syncRoute creates or deletes Route default-route. An existing route's
// spec is left alone.
func (op *operator) syncRoute(ctx context.Context, want bool) error {
	ri := op.dyn.Resource(opRoutes).Namespace(opNamespace)
	cur, err := ri.Get(ctx, opRoute, metav1.GetOptions{})
	exists := err == nil
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	switch {
	case want && !exists:
		if err := op.setPublicHost(ctx, op.routeHost, true); err != nil {
			return err
		}
		_, err := ri.Create(ctx, op.newRoute(), metav1.CreateOptions{})
		if err == nil {
			fmt.Fprintf(os.Stderr, "operator: created route %s/%s (host %s)\n", opNamespace, opRoute, op.routeHost)
		}
		return err
	case !want && exists:
		if err := ri.Delete(ctx, opRoute, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
		fmt.Fprintf(os.Stderr, "operator: deleted route %s/%s\n", opNamespace, opRoute)
		host, _, _ := unstructured.NestedString(cur.Object, "spec", "host")
		if host == "" {
			host = op.routeHost
		}
		return op.setPublicHost(ctx, host, false)
	}
	return nil
}

func (op *operator) newRoute() *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "route.openshift.io/v1",
		"kind":       "Route",
		"metadata": map[string]any{
			"name": opRoute, "namespace": opNamespace,
			"annotations": map[string]any{opRouteMarker: "true"},
		},
		"spec": map[string]any{
			"host": op.routeHost,
			"to":   map[string]any{"kind": "Service", "name": opService, "weight": int64(100)},
			"port": map[string]any{"targetPort": "5000-tcp"},
			"tls":  map[string]any{"termination": "reencrypt", "insecureEdgeTerminationPolicy": "Redirect"},
		},
		// The router's part: admitted at once.
		"status": map[string]any{"ingress": []any{map[string]any{
			"host": op.routeHost, "routerName": "default", "wildcardPolicy": "None",
			"conditions": []any{map[string]any{"type": "Admitted", "status": "True",
				"lastTransitionTime": metav1.Now().UTC().Format(time.RFC3339)}},
		}}},
	}}
}

// setPublicHost adds host first to (or removes it from) the image config's
// status.externalRegistryHostnames.
func (op *operator) setPublicHost(ctx context.Context, host string, add bool) error {
	ri := op.dyn.Resource(opImages)
	img, err := ri.Get(ctx, "cluster", metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	hosts, _, _ := unstructured.NestedStringSlice(img.Object, "status", "externalRegistryHostnames")
	rest := slices.DeleteFunc(slices.Clone(hosts), func(h string) bool { return h == host })
	next := rest
	if add {
		next = append([]string{host}, rest...)
	}
	if slices.Equal(next, hosts) {
		return nil
	}
	patch, _ := json.Marshal(map[string]any{"status": map[string]any{"externalRegistryHostnames": next}})
	_, err = ri.Patch(ctx, "cluster", types.MergePatchType, patch, metav1.PatchOptions{})
	return err
}

// operatorStatus computes the operator's conditions the way syncStatus
// does, keeping conditions of other types and the transition times of
// those whose status did not change.
func operatorStatus(mgmt string, dep *appsv1.Deployment, routes []unstructured.Unstructured, old []any, now time.Time) ([]any, int32) {
	type cond struct{ status, reason, message string }
	var avail, prog, degr cond
	complete := dep != nil && deploymentComplete(dep)
	switch {
	case mgmt == "Unmanaged":
		avail = cond{"True", "Unmanaged", "The registry configuration is set to unmanaged mode"}
	case dep == nil:
		avail = cond{"False", "DeploymentNotFound", "The deployment does not exist"}
	case dep.DeletionTimestamp != nil:
		avail = cond{"False", "DeploymentDeleted", "The deployment is being deleted"}
	case dep.Status.AvailableReplicas == 0:
		avail = cond{"False", "NoReplicasAvailable", "The deployment does not have available replicas"}
	case !complete:
		avail = cond{"True", "MinimumAvailability", "The registry has minimum availability"}
	default:
		avail = cond{"True", "Ready", "The registry is ready"}
	}
	switch {
	case mgmt == "Unmanaged":
		prog = cond{"False", "Unmanaged", "The registry configuration is set to unmanaged mode"}
	case dep == nil:
		prog = cond{"True", "WaitingForDeployment", "All resources are successfully applied, but the deployment does not exist"}
	case !complete:
		prog = cond{"True", "DeploymentNotCompleted", "The deployment has not completed"}
	default:
		prog = cond{"False", "Ready", "The registry is ready"}
	}
	degr = cond{"False", "AsExpected", ""}
	switch {
	case mgmt == "Unmanaged":
		degr = cond{"False", "Unmanaged", "The registry configuration is set to unmanaged mode"}
	case avail.status != "True":
		// Degraded only after a minute without availability.
		if c := findCondition(old, "Available"); c != nil && c["status"] != "True" {
			if t, err := time.Parse(time.RFC3339, fmt.Sprint(c["lastTransitionTime"])); err == nil && now.Sub(t) > opUnavailableAfter {
				degr = cond{"True", "Unavailable", avail.message}
			}
		}
	case !complete:
	default:
		if msg := routesNotAdmitted(routes); msg != "" {
			degr = cond{"True", "RouteDegraded", msg}
		}
	}
	out := slices.Clone(old)
	set := func(t string, c cond) {
		next := map[string]any{"type": t, "status": c.status, "reason": c.reason, "lastTransitionTime": now.UTC().Format(time.RFC3339)}
		if c.message != "" {
			next["message"] = c.message
		}
		for i, o := range out {
			m, ok := o.(map[string]any)
			if !ok || m["type"] != t {
				continue
			}
			if m["status"] == c.status {
				if lt, ok := m["lastTransitionTime"]; ok {
					next["lastTransitionTime"] = lt
				} else {
					delete(next, "lastTransitionTime") // the fixture's conditions carry none
				}
			}
			if reflect.DeepEqual(m, next) {
				return
			}
			out[i] = next
			return
		}
		out = append(out, next)
	}
	set("Available", avail)
	set("Progressing", prog)
	set("Degraded", degr)
	var ready int32
	if dep != nil {
		ready = dep.Status.ReadyReplicas
	}
	return out, ready
}

func deploymentComplete(d *appsv1.Deployment) bool {
	replicas := int32(1)
	if d.Spec.Replicas != nil {
		replicas = *d.Spec.Replicas
	}
	return d.Status.UpdatedReplicas == replicas && d.Status.Replicas == replicas &&
		d.Status.AvailableReplicas == replicas && d.Status.ObservedGeneration >= d.Generation
}

func findCondition(conds []any, t string) map[string]any {
	for _, c := range conds {
		if m, ok := c.(map[string]any); ok && m["type"] == t {
			return m
		}
	}
	return nil
}

// routesNotAdmitted is checkRoutesStatus: every ingress of every route in
// the namespace whose Admitted condition is not True.
func routesNotAdmitted(routes []unstructured.Unstructured) string {
	var msgs []string
	for _, r := range routes {
		ingress, _, _ := unstructured.NestedSlice(r.Object, "status", "ingress")
		for _, in := range ingress {
			m, _ := in.(map[string]any)
			conds, _, _ := unstructured.NestedSlice(m, "conditions")
			for _, c := range conds {
				cm, _ := c.(map[string]any)
				if cm["type"] != "Admitted" || cm["status"] == "True" {
					continue
				}
				host, _ := m["host"].(string)
				router, _ := m["routerName"].(string)
				msg, _ := cm["message"].(string)
				msgs = append(msgs, fmt.Sprintf("route %s (host %s, router %s) not admitted: %s", r.GetName(), host, router, msg))
			}
		}
	}
	return strings.Join(msgs, ",")
}
