// Package cluster finds the integrated registry from the cluster's own
// records: the image config, the operator's default route, the service, and
// the CA bundle the operator publishes.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/oc-registry/oc-registry/pkg/registry"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	coreclient "k8s.io/client-go/kubernetes/typed/core/v1"
)

// Namespace and names the operator uses.
const (
	Namespace     = "openshift-image-registry"
	ServiceName   = "image-registry"
	RouteName     = "default-route"
	CAConfigMapNS = "openshift-config-managed"
	CAConfigMap   = "image-registry-ca"
	// RegistrySelector selects the registry's pods (the operator's label).
	RegistrySelector = "docker-registry=default"
	// ServiceHost is the name the registry's certificate is for.
	ServiceHost = ServiceName + "." + Namespace + ".svc:5000"
)

var (
	imageConfigs = schema.GroupVersionResource{Group: "config.openshift.io", Version: "v1", Resource: "images"}
	routes       = schema.GroupVersionResource{Group: "route.openshift.io", Version: "v1", Resource: "routes"}
	// ImageStreams is OpenShift's ImageStream resource.
	ImageStreams = schema.GroupVersionResource{Group: "image.openshift.io", Version: "v1", Resource: "imagestreams"}
)

// Registry is what the cluster says about its registry.
type Registry struct {
	Internal string   `json:"internal,omitempty"` // status.internalRegistryHostname
	Public   []string `json:"public,omitempty"`   // status.externalRegistryHostnames
	Route    string   `json:"route,omitempty"`    // default-route host
	Service  string   `json:"service,omitempty"`  // service DNS name and port
	From     string   `json:"from,omitempty"`     // where Internal and Public came from
	// Unreadable names what the user may not read ("route", "service"):
	// an empty field there means "not known", not "none".
	Unreadable []string `json:"unreadable,omitempty"`
}

// Lookup reads the image config, the default route and the service. Parts
// that are missing (a plain Kubernetes cluster) are left empty.
//
// Without the image config (ordinary users may not read it), the hosts
// come from image streams' status, as oc registry info finds them: in the
// namespaces given (the current project) first, then in openshift.
func Lookup(ctx context.Context, dyn dynamic.Interface, core coreclient.CoreV1Interface, namespaces ...string) (*Registry, error) {
	r := &Registry{}
	cfg, err := dyn.Resource(imageConfigs).Get(ctx, "cluster", metav1.GetOptions{})
	switch {
	case err == nil:
		r.Internal, _, _ = unstructured.NestedString(cfg.Object, "status", "internalRegistryHostname")
		r.Public, _, _ = unstructured.NestedStringSlice(cfg.Object, "status", "externalRegistryHostnames")
		r.From = "images.config.openshift.io/cluster"
	case !ignorable(err):
		return nil, fmt.Errorf("reading images.config.openshift.io/cluster: %w", err)
	}
	for _, ns := range append(namespaces, "openshift") {
		if r.Internal != "" || len(r.Public) > 0 || ns == "" {
			continue
		}
		if err := r.fromImageStreams(ctx, dyn, ns); err != nil {
			return nil, err
		}
	}
	route, err := dyn.Resource(routes).Namespace(Namespace).Get(ctx, RouteName, metav1.GetOptions{})
	switch {
	case err == nil:
		r.Route, _, _ = unstructured.NestedString(route.Object, "spec", "host")
	case apierrors.IsForbidden(err):
		r.Unreadable = append(r.Unreadable, "route")
	case !ignorable(err):
		return nil, fmt.Errorf("reading route %s/%s: %w", Namespace, RouteName, err)
	}
	if err := r.validate(); err != nil {
		return nil, err
	}
	svc, err := core.Services(Namespace).Get(ctx, ServiceName, metav1.GetOptions{})
	switch {
	case err == nil:
		port := int32(5000)
		if len(svc.Spec.Ports) > 0 {
			port = svc.Spec.Ports[0].Port
		}
		r.Service = fmt.Sprintf("%s.%s.svc:%d", ServiceName, Namespace, port)
	case apierrors.IsForbidden(err):
		r.Unreadable = append(r.Unreadable, "service")
	case !ignorable(err):
		return nil, fmt.Errorf("reading service %s/%s: %w", Namespace, ServiceName, err)
	}
	return r, nil
}

// fromImageStreams reads the registry hosts from the status of the image
// streams of a namespace (the shared "openshift" project's are readable by
// every authenticated user).
func (r *Registry) fromImageStreams(ctx context.Context, dyn dynamic.Interface, ns string) error {
	list, err := dyn.Resource(ImageStreams).Namespace(ns).List(ctx, metav1.ListOptions{Limit: 20})
	if ignorable(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading image streams in project %s: %w", ns, err)
	}
	for _, is := range list.Items {
		from := "imagestream " + ns + "/" + is.GetName()
		internal, _, _ := unstructured.NestedString(is.Object, "status", "dockerImageRepository")
		public, _, _ := unstructured.NestedString(is.Object, "status", "publicDockerImageRepository")
		if h, _, ok := strings.Cut(internal, "/"); ok && r.Internal == "" {
			if err := registry.ValidateHost(h, from+" (status.dockerImageRepository)"); err != nil {
				return err
			}
			r.Internal = h
		}
		if h, _, ok := strings.Cut(public, "/"); ok && len(r.Public) == 0 {
			if err := registry.ValidateHost(h, from+" (status.publicDockerImageRepository)"); err != nil {
				return err
			}
			r.Public = []string{h}
		}
		if r.From == "" && (r.Internal != "" || len(r.Public) > 0) {
			r.From = from
		}
	}
	return nil
}

// validate refuses a host a cluster object gave that is not a host[:port]:
// such a value would otherwise become a URL, an auth-file key and a path.
func (r *Registry) validate() error {
	if r.Internal != "" {
		if err := registry.ValidateHost(r.Internal, r.From+" (internal host)"); err != nil {
			return err
		}
	}
	for _, h := range r.Public {
		if err := registry.ValidateHost(h, r.From+" (public host)"); err != nil {
			return err
		}
	}
	if r.Route != "" {
		if err := registry.ValidateHost(r.Route, "route "+Namespace+"/"+RouteName+" (spec.host)"); err != nil {
			return err
		}
	}
	return nil
}

// A user without rights to read these objects can still log in with
// --registry; missing objects mean "not OpenShift" or "route disabled".
func ignorable(err error) bool {
	return apierrors.IsNotFound(err) || apierrors.IsForbidden(err)
}

// Choice says which host to use and where it came from.
type Choice struct {
	Host   string `json:"host"`
	Source string `json:"source"`
}

// Prefer picks "internal", "public" or "" (public when reachable, else
// internal). Order of sources: image config, route, service.
func (r *Registry) Choose(prefer string, reachable func(host string) bool) (Choice, error) {
	var public []Choice
	for _, h := range r.Public {
		public = append(public, Choice{h, r.From + " (public host)"})
	}
	if r.Route != "" {
		public = append(public, Choice{r.Route, "route " + Namespace + "/" + RouteName})
	}
	var internal []Choice
	if r.Internal != "" {
		internal = append(internal, Choice{r.Internal, r.From + " (internal host)"})
	}
	if r.Service != "" {
		internal = append(internal, Choice{r.Service, "service " + Namespace + "/" + ServiceName})
	}
	switch prefer {
	case "public":
		if len(public) == 0 {
			return Choice{}, fmt.Errorf("the cluster publishes no public registry host (no externalRegistryHostnames, no %s route)", RouteName)
		}
		return public[0], nil
	case "internal":
		if len(internal) == 0 {
			return Choice{}, fmt.Errorf("the cluster publishes no internal registry host")
		}
		return internal[0], nil
	}
	for _, c := range public {
		if reachable(c.Host) {
			return c, nil
		}
	}
	if len(internal) > 0 {
		return internal[0], nil
	}
	if len(public) > 0 {
		return public[0], nil
	}
	return Choice{}, fmt.Errorf("no registry found: the cluster has no images.config.openshift.io/cluster status, no %s route and no %s service", RouteName, ServiceName)
}

// Reachable dials host (default port 443) within timeout.
func Reachable(host string, timeout time.Duration) bool {
	addr := host
	if _, _, err := net.SplitHostPort(host); err != nil {
		addr = net.JoinHostPort(host, "443")
	}
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// CAKey is the ConfigMap key the operator uses for host: colons become "..".
func CAKey(host string) string { return strings.ReplaceAll(host, ":", "..") }

// The ConfigMap the ingress operator publishes its default CA in.
const (
	IngressCAConfigMap = "default-ingress-cert"
	IngressCAKey       = "ca-bundle.crt"
)

// UnreadableCAError means the cluster publishes the CA in an object the
// user may not read (ordinary users on OpenShift may read neither).
type UnreadableCAError struct{ Object string }

func (e *UnreadableCAError) Error() string {
	return fmt.Sprintf("you may not read %s, where the cluster publishes the registry's CA", e.Object)
}

// FetchCA returns the CA the cluster publishes for host, and where it was
// found. As on OpenShift: the service CA, in configmap
// openshift-config-managed/image-registry-ca under the host's key, for the
// internal names; the ingress CA, in default-ingress-cert, for the route
// and the external hosts, which the router serves with its own
// certificate (reencrypt). reg may be nil (a host from --registry): a host
// with no key of its own is then taken as a route host. It returns nil
// when the cluster publishes none (a publicly signed certificate), and an
// *UnreadableCAError when the user may not read the object.
func FetchCA(ctx context.Context, core coreclient.CoreV1Interface, reg *Registry, host string) ([]byte, string, error) {
	if reg != nil && reg.isPublic(host) {
		return configMapKey(ctx, core, IngressCAConfigMap, IngressCAKey)
	}
	pem, src, err := configMapKey(ctx, core, CAConfigMap, CAKey(host), CAKey(strings.TrimSuffix(host, ":443")))
	if pem != nil || reg != nil {
		return pem, src, err
	}
	pem, src, ierr := configMapKey(ctx, core, IngressCAConfigMap, IngressCAKey)
	var a, b *UnreadableCAError
	if errors.As(err, &a) && errors.As(ierr, &b) {
		return nil, "", &UnreadableCAError{Object: a.Object + " or " + b.Object}
	}
	if pem == nil && ierr == nil {
		ierr = err
	}
	return pem, src, ierr
}

func (r *Registry) isPublic(host string) bool {
	return host == r.Route || slices.Contains(r.Public, host)
}

func configMapKey(ctx context.Context, core coreclient.CoreV1Interface, name string, keys ...string) ([]byte, string, error) {
	cm, err := core.ConfigMaps(CAConfigMapNS).Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsForbidden(err):
		return nil, "", &UnreadableCAError{Object: "configmap " + CAConfigMapNS + "/" + name}
	case apierrors.IsNotFound(err):
		return nil, "", nil
	case err != nil:
		return nil, "", fmt.Errorf("reading configmap %s/%s: %w", CAConfigMapNS, name, err)
	}
	for _, key := range keys {
		if v, ok := cm.Data[key]; ok && v != "" {
			return []byte(v), fmt.Sprintf("configmap %s/%s key %s", CAConfigMapNS, name, key), nil
		}
	}
	return nil, "", nil
}
