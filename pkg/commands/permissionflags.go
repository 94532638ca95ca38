package commands

import (
	"github.com/oc-registry/oc-registry/pkg/clierr"
	"github.com/oc-registry/oc-registry/pkg/kube"
	"github.com/oc-registry/oc-registry/pkg/rbac"
)

// permissionArgs is what who-can and can-i share: the permission asked
// about, where (metrics are cluster-wide), and the clients to ask with.
type permissionArgs struct {
	permission rbac.Permission
	namespace  string // "" for metrics
	explicit   bool   // -n was given
	clients    *kube.Clients
	client     *rbac.Client
}

// complete parses the permission, then reads the project (unless the
// permission is cluster-wide) and builds the clients.
func (p *permissionArgs) complete(f Factory, arg string) error {
	perm, err := rbac.ParsePermission(arg)
	if err != nil {
		return clierr.WithCode(clierr.CodeUsage, err)
	}
	p.permission = perm
	if perm != rbac.Metrics {
		if p.namespace, p.explicit, err = f.Namespace(); err != nil {
			return err
		}
	}
	if p.clients, err = f.KubeClients(); err != nil {
		return err
	}
	p.client = rbacClient(p.clients)
	return nil
}
