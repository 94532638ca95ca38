package kube

import (
	"context"

	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	authnclient "k8s.io/client-go/kubernetes/typed/authentication/v1"
	authzclient "k8s.io/client-go/kubernetes/typed/authorization/v1"
	coreclient "k8s.io/client-go/kubernetes/typed/core/v1"
	rbacclient "k8s.io/client-go/kubernetes/typed/rbac/v1"
	"k8s.io/client-go/rest"
)

// Clients are the per-group clients the commands use. Per-group clients keep
// the binary smaller than the full clientset.
type Clients struct {
	Config  *rest.Config
	RBAC    rbacclient.RbacV1Interface
	Authz   authzclient.AuthorizationV1Interface
	Authn   authnclient.AuthenticationV1Interface
	Core    coreclient.CoreV1Interface
	Dynamic dynamic.Interface
}

// Clients builds the clients from the flags.
func (f *Flags) Clients(opts ...Option) (*Clients, error) {
	cfg, err := f.RESTConfig()
	if err != nil {
		return nil, err
	}
	for _, o := range opts {
		o(cfg)
	}
	return forConfig(cfg)
}

// As is the same cluster's clients authenticated by token alone: none of
// the kubeconfig's own credentials (certificates, exec plugins, other
// tokens) go along. Callers pass only a token this server issued.
func (c *Clients) As(token string, opts ...Option) (*Clients, error) {
	cfg := rest.AnonymousClientConfig(c.Config)
	cfg.BearerToken = token
	for _, o := range opts {
		o(cfg)
	}
	return forConfig(cfg)
}

func forConfig(cfg *rest.Config) (*Clients, error) {
	var err error
	c := &Clients{Config: cfg}
	if c.RBAC, err = rbacclient.NewForConfig(cfg); err != nil {
		return nil, err
	}
	if c.Authz, err = authzclient.NewForConfig(cfg); err != nil {
		return nil, err
	}
	if c.Authn, err = authnclient.NewForConfig(cfg); err != nil {
		return nil, err
	}
	if c.Core, err = coreclient.NewForConfig(cfg); err != nil {
		return nil, err
	}
	if c.Dynamic, err = dynamic.NewForConfig(cfg); err != nil {
		return nil, err
	}
	return c, nil
}

// WhoAmI returns the current user's name (SelfSubjectReview), or "" when the
// server cannot say.
func (c *Clients) WhoAmI(ctx context.Context) string {
	r, err := c.Authn.SelfSubjectReviews().Create(ctx, &authnv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return ""
	}
	return r.Status.UserInfo.Username
}
