package commands

import (
	"context"
	"errors"

	"github.com/oc-registry/oc-registry/pkg/clierr"
	"github.com/oc-registry/oc-registry/pkg/cluster"
	"github.com/oc-registry/oc-registry/pkg/kube"
	"github.com/oc-registry/oc-registry/pkg/rbac"
)

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

// rbacClient is the rbac library over the command's clients.
func rbacClient(c *kube.Clients) *rbac.Client {
	return &rbac.Client{RBAC: c.RBAC, Authz: c.Authz, Core: c.Core, Streams: cluster.Streams{Dynamic: c.Dynamic}}
}
