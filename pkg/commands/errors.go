package commands

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/oc-registry/oc-registry/pkg/clierr"
	"github.com/oc-registry/oc-registry/pkg/rbac"
	"github.com/oc-registry/oc-registry/pkg/registry"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The errors commands return, with their exit codes and hints.

// usageIfErr marks a flag-validation error as a usage error.
func usageIfErr(err error) error {
	if err == nil {
		return nil
	}
	return clierr.WithCode(clierr.CodeUsage, err)
}

// checkProject fails, with the fix, when the project does not exist.
func checkProject(ctx context.Context, c *rbac.Client, project string) error {
	err := c.CheckProject(ctx, project)
	if errors.Is(err, rbac.ErrProjectMissing) {
		return clierr.WithHint(err, "create it first (oc new-project %s), or check the project name", project)
	}
	return err
}

// explainCheck adds the hint and exit code for a failed credential check.
func explainCheck(err error, host, name string) error { return explainCheckFor(err, host, name, true) }

// explainCheckFor is explainCheck; login's hints may name its --insecure
// and --skip-check, other commands' may not.
func explainCheckFor(err error, host, name string, login bool) error {
	cause := registry.CauseOf(err)
	switch {
	case cause == registry.CauseUnauthorized:
		return &clierr.Error{Err: fmt.Errorf("token rejected by %s: %w", host, err), Code: clierr.CodeUnauthorized,
			Hint: "your token has expired or was revoked: run 'oc login' (or use --service-account for a robot token)"}
	case cause == registry.CauseDenied:
		return &clierr.Error{Err: err, Code: clierr.CodeForbidden,
			Hint: "your token works, but you lack the permission: ask for a registry role (" + name + " can-i pull -n PROJECT)"}
	case cause == registry.CauseTLS && login:
		return clierr.WithHint(err, "trust the registry's CA with --ca-file FILE (login installs the cluster's CA when it publishes one), or pass --insecure to skip verification (not recommended)")
	case cause == registry.CauseTLS:
		return clierr.WithHint(err, "trust the registry's CA with --ca-file FILE, or log in first: login installs the CA it checked")
	case cause == registry.CauseUnreachable && login:
		return clierr.WithHint(err, "check the host name and your network; pass --registry to choose another host, or --skip-check to write the credentials anyway")
	case cause == registry.CauseUnreachable:
		return clierr.WithHint(err, "check the host name and your network; pass --registry to choose another host")
	case cause == registry.CauseNotRegistry:
		return clierr.WithHint(err, "check --registry: it should be the registry host, without a path")
	case cause == registry.CausePolicy:
		return clierr.WithHint(err, "the registry sent your credentials elsewhere; nothing was written. See docs/security.md")
	}
	return err
}

func readFileFlag(name, path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, clierr.WithCode(clierr.CodeUsage, fmt.Errorf("%s: %w", name, err))
	}
	return b, nil
}

// escalation reports whether the API server refused a binding because of
// RBAC's escalation check. It is a Forbidden like any other: only the
// status message, which the RBAC authorizer writes, tells it apart.
func escalation(err error) bool {
	var st apierrors.APIStatus
	return errors.As(err, &st) && st.Status().Reason == metav1.StatusReasonForbidden &&
		strings.Contains(st.Status().Message, "attempting to grant RBAC permissions not currently held")
}

// explainWriteError adds the hint for the usual reasons a binding write fails.
func explainWriteError(err error, what, namespace string) error {
	switch {
	case escalation(err):
		return clierr.WithHint(err, "you can only grant a role whose permissions you hold yourself, or with the 'bind' verb on it: ask a cluster admin")
	case clierr.Code(err) == clierr.CodeForbidden:
		where := "cluster-wide"
		if namespace != "" {
			where = "in project " + namespace
		}
		return clierr.WithHint(err, "you need permission to create and update %s %s: ask a project admin or cluster admin", what, where)
	}
	return err
}
