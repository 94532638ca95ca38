package main

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"
)

type holderKey struct{}

// requestInfo carries what the access controller learned about a request
// back to the middleware that wraps the distribution app.
type requestInfo struct {
	reqID string
	user  *identity
}

// withRequestInfo records ImageStreams for pushed tags, as OpenShift does on
// a manifest PUT, and forgets the request's user afterwards.
func withRequestInfo(k *kubeChecker, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := &requestInfo{}
		r = r.WithContext(context.WithValue(r.Context(), holderKey{}, info))
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		if info.reqID != "" {
			users.Delete(info.reqID)
		}
		if r.Method != http.MethodPut || sw.status != http.StatusCreated || info.user == nil {
			return
		}
		ns, name, ref, ok := manifestPath(r.URL.Path)
		if !ok || strings.Contains(ref, ":") {
			return
		}
		digest := sw.Header().Get("Docker-Content-Digest")
		if err := k.recordTag(r.Context(), info.user, r.Host, ns, name, ref, digest); err != nil {
			logrus.WithFields(logrus.Fields{"vars.name": ns + "/" + name, "vars.reference": ref}).
				Errorf("updating ImageStream: %v", err)
		}
	})
}

// manifestPath splits /v2/<ns>/<name>/manifests/<ref>.
func manifestPath(p string) (ns, name, ref string, ok bool) {
	parts := strings.Split(strings.TrimPrefix(p, "/v2/"), "/")
	if len(parts) != 4 || parts[2] != "manifests" {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[3], true
}

// recordTag creates the ImageStream as the pushing user (so RBAC decides, as
// in OpenShift) and then records the tag in its status as the registry.
func (k *kubeChecker) recordTag(ctx context.Context, u *identity, host, ns, name, tag, digest string) error {
	res := k.dyn.Resource(imageStreamsGVR).Namespace(ns)
	_, err := res.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		asUser := rest.CopyConfig(k.rest)
		extra := map[string][]string{}
		for key, v := range u.extra {
			extra[key] = v
		}
		asUser.Impersonate = rest.ImpersonationConfig{UserName: u.name, UID: u.uid, Groups: u.groups, Extra: extra}
		dc, derr := dynamic.NewForConfig(asUser)
		if derr != nil {
			return derr
		}
		is := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "image.openshift.io/v1",
			"kind":       "ImageStream",
			"metadata":   map[string]any{"name": name, "namespace": ns},
			"spec":       map[string]any{"lookupPolicy": map[string]any{"local": false}},
		}}
		if _, err = dc.Resource(imageStreamsGVR).Namespace(ns).Create(ctx, is, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	} else if err != nil {
		return err
	}
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		is, err := res.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		repo := host + "/" + ns + "/" + name
		item := map[string]any{
			"created":              time.Now().UTC().Format(time.RFC3339),
			"dockerImageReference": repo + "@" + digest,
			"image":                digest,
		}
		tags, _, _ := unstructured.NestedSlice(is.Object, "status", "tags")
		found := false
		for i, t := range tags {
			tm, _ := t.(map[string]any)
			if tm["tag"] == tag {
				items, _ := tm["items"].([]any)
				tm["items"] = append([]any{item}, items...)
				tags[i] = tm
				found = true
			}
		}
		if !found {
			tags = append(tags, map[string]any{"tag": tag, "items": []any{item}})
		}
		_ = unstructured.SetNestedSlice(is.Object, tags, "status", "tags")
		_ = unstructured.SetNestedField(is.Object, repo, "status", "dockerImageRepository")
		_, err = res.Update(ctx, is, metav1.UpdateOptions{})
		return err
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
