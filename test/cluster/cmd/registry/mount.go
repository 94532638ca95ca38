package main

import (
	"net/http"
	"strings"

	"github.com/distribution/distribution/v3/registry/auth"
	"github.com/sirupsen/logrus"
)

// crossMount does with a cross-repository mount what OpenShift's registry
// does when the user may not pull from the source repository: the pull
// error is deferred (openshift/image-registry
// pkg/dockerregistry/server/auth.go, possibleCrossMountErrors), the
// source's pending-errors blob descriptor service then fails the mount,
// and distribution starts an ordinary upload instead (202). distribution
// alone would deny the whole request for want of pull on the source, which
// is harsher than OpenShift; so a mount the user may not make is dropped
// from the request before distribution sees it.
func crossMount(kc *kubeChecker, next http.Handler) http.Handler {
	ac := &accessController{kube: kc}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		from := q.Get("from")
		if r.Method == http.MethodPost && q.Get("mount") != "" && from != "" && strings.HasSuffix(r.URL.Path, "/blobs/uploads/") {
			if token, ok := bearerOrBasic(r); ok {
				if id, err := kc.authenticate(r.Context(), token); err == nil {
					pull := auth.Access{Resource: auth.Resource{Type: "repository", Name: from}, Action: "pull"}
					if err := ac.check(r.Context(), id, pull); err != nil {
						logrus.Infof("Origin auth: deferring error for cross-mount source %s: %v", from, err)
						q.Del("mount")
						q.Del("from")
						r.URL.RawQuery = q.Encode()
					}
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}
