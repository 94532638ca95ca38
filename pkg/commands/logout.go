package commands

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/oc-registry/oc-registry/pkg/auth"
	"github.com/oc-registry/oc-registry/pkg/kube"
	"github.com/oc-registry/oc-registry/pkg/output"
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// LogoutOptions removes one registry's credentials.
type LogoutOptions struct {
	registryTarget
	AuthFile string
	output.Flags

	clients *kube.Clients
	store   AuthStore
	genericiooptions.IOStreams
}

// LogoutResult is the stable shape of `logout -o json`.
type LogoutResult struct {
	Registry  string   `json:"registry"`
	Removed   []string `json:"removedFrom"`
	CARemoved string   `json:"caRemoved,omitempty"`
}

// NewCmdLogout builds `logout`.
func NewCmdLogout(f Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &LogoutOptions{IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "logout [--registry HOST]",
		Short: "Remove the registry's credentials from every file login wrote",
		Long: `Remove the credentials for one registry host: from the auth file (as login
resolves it), and from every other file login wrote for that host (such as
~/.docker/config.json with --docker-config), and the CA file login
installed for it. Other hosts' entries, and CA files login did not write,
stay.

With -a FILE only that file is touched: a CI job with its own auth file
does not log out a neighbour sharing the same HOME.

Without --registry, the host is the one you last logged in to on this cluster.

-o json|yaml prints {"registry", "removedFrom": [FILE], "caRemoved"}.`,
		Example: `  oc-registry logout
  oc-registry logout --registry default-route-openshift-image-registry.apps.example.com`,
		Args: cobra.NoArgs,
		RunE: runE(f, o),
	}
	o.registryTarget.addFlags(cmd)
	cmd.Flags().StringVarP(&o.AuthFile, "registry-config", "a", "", "Auth file (default: $REGISTRY_AUTH_FILE, else the containers default).")
	o.Flags.AddFlags(cmd.Flags())
	return cmd
}

// Complete normalizes --registry and, without it, builds the clients that
// find the host.
func (o *LogoutOptions) Complete(f Factory, _ *cobra.Command, _ []string) error {
	o.store = f.AuthStore()
	if err := o.registryTarget.complete(); err != nil {
		return err
	}
	if o.Registry != "" {
		return nil
	}
	var err error
	o.clients, err = f.KubeClients()
	return err
}

// Validate checks the flags.
func (o *LogoutOptions) Validate() error {
	if err := o.registryTarget.check(); err != nil {
		return err
	}
	return usageIfErr(o.Flags.Validate())
}

// Run removes the entries.
func (o *LogoutOptions) Run(ctx context.Context) error {
	if err := o.resolveLoggedIn(ctx, o.clients, auth.AuthFile{Path: o.AuthFile}); err != nil {
		return err
	}
	rec, err := o.store.Load()
	if err != nil {
		return err
	}
	files := []auth.AuthFile{{Path: o.AuthFile}}
	if o.AuthFile == "" {
		files = append(files, rec.Hosts[o.host]...)
	}
	res := LogoutResult{Registry: o.host, Removed: []string{}}
	seen := map[string]bool{}
	for _, f := range files {
		p := f.Resolve()
		if seen[p] {
			continue
		}
		seen[p] = true
		removed, err := f.Remove(ctx, o.host)
		if err != nil {
			return err
		}
		if removed {
			res.Removed = append(res.Removed, p)
		}
	}
	if o.AuthFile == "" {
		if ca, ok := rec.CAs[o.host]; ok {
			if err := ca.Remove(); err != nil {
				warnf(o.ErrOut, "could not remove the CA login installed: %v", err)
			} else {
				res.CARemoved = ca.Path
			}
		}
	}
	err = o.store.Update(ctx, func(r *auth.Record) {
		if o.AuthFile != "" {
			mine := auth.AuthFile{Path: o.AuthFile}.Resolve()
			r.Hosts[o.host] = slices.DeleteFunc(r.Hosts[o.host], func(f auth.AuthFile) bool { return f.Resolve() == mine })
			return
		}
		delete(r.Hosts, o.host)
		delete(r.CAs, o.host)
	})
	if err != nil {
		warnf(o.ErrOut, "could not update the login record: %v", err)
	}
	return o.Print(o.Out, res, func(w io.Writer) error {
		if len(res.Removed) == 0 {
			_, err := fmt.Fprintf(w, "not logged in to %s\n", o.host)
			return err
		}
		for _, p := range res.Removed {
			fmt.Fprintf(w, "removed credentials for %s from %s\n", o.host, p)
		}
		if res.CARemoved != "" {
			fmt.Fprintf(w, "removed the CA login installed: %s\n", res.CARemoved)
		}
		return nil
	})
}
