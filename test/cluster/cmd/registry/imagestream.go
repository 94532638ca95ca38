package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
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

// withRequestInfo does what OpenShift's manifest service does on a manifest
// PUT (openshift/image-registry pkg/imagestream/imagestream.go,
// manifestservice.go): before the manifest is accepted, a stream that does
// not exist is created with the pushing user's own client, and a user who
// may not create it gets 403 DENIED "requested access to the resource is
// denied"; after it, the tag is recorded synchronously, and a failure fails
// the push. It also forgets the request's user afterwards.
func withRequestInfo(k *kubeChecker, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := &requestInfo{}
		r = r.WithContext(context.WithValue(r.Context(), holderKey{}, info))
		ns, name, ref, isManifest := manifestPath(r.URL.Path)
		if r.Method != http.MethodPut || !isManifest {
			next.ServeHTTP(w, r)
			forget(info)
			return
		}
		// The access check runs inside the app; the manifest is held back
		// (recorded) until the stream and the tag are in place.
		rec := httptest.NewRecorder()
		next.ServeHTTP(&createFirst{ResponseRecorder: rec, k: k, info: info, r: r, ns: ns, name: name}, r)
		defer forget(info)
		if rec.Code == http.StatusCreated && info.user != nil && !strings.Contains(ref, ":") {
			digest := rec.Header().Get("Docker-Content-Digest")
			if err := k.recordTag(r.Context(), info.user, r.Host, ns, name, ref, digest); err != nil {
				logrus.WithFields(logrus.Fields{"vars.name": ns + "/" + name, "vars.reference": ref}).Errorf("updating ImageStream: %v", err)
				registryError(w, http.StatusInternalServerError, "UNKNOWN", "recording the tag in image stream "+ns+"/"+name+": "+err.Error())
				return
			}
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	})
}

func forget(info *requestInfo) {
	if info.reqID != "" {
		users.Delete(info.reqID)
	}
}

// createFirst creates the image stream the first time the app writes a
// response header for an authorised manifest PUT whose body it accepted:
// the moment OpenShift's manifest service creates it.
type createFirst struct {
	*httptest.ResponseRecorder
	k        *kubeChecker
	info     *requestInfo
	r        *http.Request
	ns, name string
	done     bool
	denied   bool
}

func (c *createFirst) WriteHeader(code int) {
	if !c.done {
		c.done = true
		if code == http.StatusCreated && c.info.user != nil {
			if err := c.k.ensureStream(c.r.Context(), c.info.user, c.ns, c.name); err != nil {
				c.denied = true
				status, code, msg := http.StatusInternalServerError, "UNKNOWN", err.Error()
				switch {
				case apierrors.IsForbidden(err):
					status, code, msg = http.StatusForbidden, "DENIED", "requested access to the resource is denied"
				case apierrors.IsInvalid(err):
					status, code, msg = http.StatusBadRequest, "NAME_INVALID", "invalid repository name: "+err.Error()
				}
				for k := range c.Header() {
					delete(c.Header(), k)
				}
				registryError(c.ResponseRecorder, status, code, msg)
				return
			}
		}
	}
	c.ResponseRecorder.WriteHeader(code)
}

func (c *createFirst) Write(b []byte) (int, error) {
	if c.denied {
		return len(b), nil
	}
	if !c.done {
		c.WriteHeader(http.StatusOK)
	}
	return c.ResponseRecorder.Write(b)
}

func registryError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"errors":[{"code":%q,"message":%q,"detail":null}]}`+"\n", code, msg)
}

// manifestPath splits /v2/<ns>/<name>/manifests/<ref>.
func manifestPath(p string) (ns, name, ref string, ok bool) {
	parts := strings.Split(strings.TrimPrefix(p, "/v2/"), "/")
	if len(parts) != 4 || parts[2] != "manifests" {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[3], true
}

// ensureStream creates the ImageStream as the pushing user when it does
// not exist (so RBAC decides, as in OpenShift).
func (k *kubeChecker) ensureStream(ctx context.Context, u *identity, ns, name string) error {
	_, err := k.dyn.Resource(imageStreamsGVR).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	if !apierrors.IsNotFound(err) {
		return err
	}
	asUser := rest.CopyConfig(k.rest)
	extra := map[string][]string{}
	for key, v := range u.extra {
		extra[key] = v
	}
	asUser.Impersonate = rest.ImpersonationConfig{UserName: u.name, UID: u.uid, Groups: u.groups, Extra: extra}
	dc, err := dynamic.NewForConfig(asUser)
	if err != nil {
		return err
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
	return nil
}

// recordTag records the tag in the stream's status, as the registry.
func (k *kubeChecker) recordTag(ctx context.Context, u *identity, host, ns, name, tag, digest string) error {
	res := k.dyn.Resource(imageStreamsGVR).Namespace(ns)
	if err := k.ensureStream(ctx, u, ns, name); err != nil {
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
