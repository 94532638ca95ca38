package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/distribution/distribution/v3/registry/auth"
	"github.com/sirupsen/logrus"
	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

var imageStreamsGVR = schema.GroupVersionResource{Group: "image.openshift.io", Version: "v1", Resource: "imagestreams"}

type identity struct {
	name, uid string
	groups    []string
	extra     map[string]authzv1.ExtraValue
}

// kubeChecker asks the API server who a token belongs to and what that user
// may do, as the OpenShift registry does for every request.
type kubeChecker struct {
	rest   *rest.Config
	kube   kubernetes.Interface
	dyn    dynamic.Interface
	tokens sync.Map // sha256(token) -> cachedIdentity
}

func newKubeChecker(cfg *rest.Config) (*kubeChecker, error) {
	kc, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dc, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &kubeChecker{rest: cfg, kube: kc, dyn: dc}, nil
}

var errNoToken = errors.New("authentication required")

// authenticate asks the API server who token belongs to. Answers are kept
// for a few seconds, as kube-apiserver's own token cache does; failures are
// not kept.
func (k *kubeChecker) authenticate(ctx context.Context, token string) (*identity, error) {
	key := sha256.Sum256([]byte(token))
	if v, ok := k.tokens.Load(key); ok {
		if c := v.(cachedIdentity); time.Now().Before(c.until) {
			return c.id, nil
		}
	}
	id, err := k.review(ctx, token)
	if err == nil {
		k.tokens.Store(key, cachedIdentity{id: id, until: time.Now().Add(5 * time.Second)})
	}
	return id, err
}

type cachedIdentity struct {
	id    *identity
	until time.Time
}

func (k *kubeChecker) review(ctx context.Context, token string) (*identity, error) {
	tr, err := k.kube.AuthenticationV1().TokenReviews().Create(ctx,
		&authnv1.TokenReview{Spec: authnv1.TokenReviewSpec{Token: token}}, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("token review: %w", err)
	}
	if !tr.Status.Authenticated {
		return nil, errors.New("invalid or expired token")
	}
	u := tr.Status.User
	id := &identity{name: u.Username, uid: u.UID, groups: u.Groups, extra: map[string]authzv1.ExtraValue{}}
	for key, v := range u.Extra {
		id.extra[key] = authzv1.ExtraValue(v)
	}
	return id, nil
}

func (k *kubeChecker) allowed(ctx context.Context, id *identity, attrs authzv1.ResourceAttributes) (bool, error) {
	sar := &authzv1.SubjectAccessReview{Spec: authzv1.SubjectAccessReviewSpec{
		ResourceAttributes: &attrs,
		User:               id.name,
		UID:                id.uid,
		Groups:             id.groups,
		Extra:              id.extra,
	}}
	res, err := k.kube.AuthorizationV1().SubjectAccessReviews().Create(ctx, sar, metav1.CreateOptions{})
	if err != nil {
		return false, fmt.Errorf("subject access review: %w", err)
	}
	return res.Status.Allowed, nil
}

// bearerOrBasic returns the token from "Bearer T" or from the password of
// Basic credentials; the Basic user name is ignored.
func bearerOrBasic(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if t, ok := strings.CutPrefix(h, "Bearer "); ok && t != "" {
		return t, true
	}
	if _, pass, ok := r.BasicAuth(); ok && pass != "" {
		return pass, true
	}
	return "", false
}

// challenge is a 401. As in openshift/image-registry's auth.go
// (wrapErr): a request without credentials is pointed at the token realm
// (Bearer); a token that does not authenticate, or lacks the permission,
// gets `Basic realm=openshift,error="access denied"` (verifyOpenShiftUser
// maps the API's 401 to ErrOpenShiftAccessDenied, so the two read alike).
type challenge struct {
	realm  string
	denied bool
	err    error
}

func (c *challenge) Error() string { return c.err.Error() }

func (c *challenge) SetHeaders(_ *http.Request, w http.ResponseWriter) {
	setChallenge(w, c.realm, c.denied)
}

func setChallenge(w http.ResponseWriter, realm string, denied bool) {
	if denied {
		w.Header().Set("WWW-Authenticate", `Basic realm=openshift,error="access denied"`)
		return
	}
	w.Header().Set("WWW-Authenticate", fmt.Sprintf("Bearer realm=%q", realm))
}

func realmFor(r *http.Request) string {
	scheme := "https"
	if r.TLS == nil {
		scheme = "http"
	}
	return fmt.Sprintf("%s://%s/openshift/token", scheme, r.Host)
}

type accessController struct{ kube *kubeChecker }

var _ auth.AccessController = (*accessController)(nil)

func (a *accessController) Authorized(r *http.Request, access ...auth.Access) (*auth.Grant, error) {
	ctx := r.Context()
	deny := func(err error) (*auth.Grant, error) {
		return nil, &challenge{realm: realmFor(r), denied: true, err: err}
	}
	token, ok := bearerOrBasic(r)
	if !ok {
		return nil, &challenge{realm: realmFor(r), err: errNoToken}
	}
	id, err := a.kube.authenticate(ctx, token)
	if err != nil {
		return deny(err)
	}
	reqID, _ := ctx.Value("http.request.id").(string)
	if reqID != "" {
		users.Store(reqID, id)
	}
	if info, ok := ctx.Value(holderKey{}).(*requestInfo); ok {
		info.reqID, info.user = reqID, id
	}
	log := logrus.WithFields(logrus.Fields{"http.request.id": reqID})
	var granted []auth.Resource
	for _, acc := range access {
		if err := a.check(ctx, id, acc); err != nil {
			log.WithField("vars.name", acc.Name).Errorf("OpenShift access denied: %v", err)
			return deny(err)
		}
		granted = append(granted, acc.Resource)
	}
	return &auth.Grant{User: auth.UserInfo{Name: id.name}, Resources: granted}, nil
}

func (a *accessController) check(ctx context.Context, id *identity, acc auth.Access) error {
	switch acc.Type {
	case "registry":
		if acc.Name != "catalog" {
			return fmt.Errorf("unknown registry resource %q", acc.Name)
		}
		return a.require(ctx, id, authzv1.ResourceAttributes{Verb: "list", Group: "image.openshift.io", Resource: "imagestreams"})
	case "repository":
	default:
		return fmt.Errorf("unknown resource type %q", acc.Type)
	}
	ns, name, ok := splitRepo(acc.Name)
	if !ok {
		return fmt.Errorf("invalid repository name %q: it must be <project>/<name>", acc.Name)
	}
	layers := authzv1.ResourceAttributes{Namespace: ns, Name: name, Group: "image.openshift.io", Resource: "imagestreams", Subresource: "layers"}
	switch acc.Action {
	case "pull":
		layers.Verb = "get"
		return a.require(ctx, id, layers)
	case "push":
		// Pushing needs only update on the layers (openshift/image-registry
		// auth.go); a stream that does not exist yet is created with the
		// user's own rights at the manifest PUT (see imagestream.go).
		layers.Verb = "update"
		return a.require(ctx, id, layers)
	case "delete":
		layers.Verb = "delete"
		return a.require(ctx, id, layers)
	}
	return fmt.Errorf("unknown action %q", acc.Action)
}

func (a *accessController) require(ctx context.Context, id *identity, attrs authzv1.ResourceAttributes) error {
	ok, err := a.kube.allowed(ctx, id, attrs)
	if err != nil {
		return err
	}
	if !ok {
		what := attrs.Resource
		if attrs.Subresource != "" {
			what += "/" + attrs.Subresource
		}
		return fmt.Errorf("user %q cannot %s %s.%s in namespace %q", id.name, attrs.Verb, what, attrs.Group, attrs.Namespace)
	}
	return nil
}

func splitRepo(repo string) (ns, name string, ok bool) {
	parts := strings.Split(repo, "/")
	if len(parts) != 2 || parts[0] == "" || parts[1] == "" {
		return "", "", false
	}
	return parts[0], parts[1], true
}

// tokenHandler is the /openshift/token realm: Basic credentials in, the
// password (a token the API server accepts) back as the bearer token.
func tokenHandler(k *kubeChecker) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pass, ok := r.BasicAuth()
		if !ok || pass == "" {
			w.Header().Set("WWW-Authenticate", `Basic realm="openshift"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
			return
		}
		if _, err := k.authenticate(r.Context(), pass); err != nil {
			w.Header().Set("WWW-Authenticate", `Basic realm="openshift"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"invalid token"}]}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"token": pass, "access_token": pass})
	})
}
