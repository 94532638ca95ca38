package commands

import (
	"strings"

	"github.com/oc-registry/oc-registry/pkg/clierr"
	"github.com/oc-registry/oc-registry/pkg/rbac"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// -z, --service-account and --serviceaccount: the same flag in every
// command that takes a service account.

// serviceAccountFlag parses -z/--service-account: NAMESPACE:NAME, or NAME
// in the current namespace.
func parseServiceAccountFlag(v, namespace string) (string, string, error) {
	if v == "" {
		return "", "", nil
	}
	if !strings.Contains(v, ":") {
		v = namespace + ":" + v
	}
	s, err := rbac.ParseServiceAccount(v)
	if err != nil {
		return "", "", clierr.WithCode(clierr.CodeUsage, err)
	}
	return s.Namespace, s.Name, nil
}

// checkServiceAccountFlag checks the form of -z/--service-account without
// the current project: NAMESPACE:NAME, or a bare NAME.
func checkServiceAccountFlag(v string) error {
	_, _, err := parseServiceAccountFlag(v, "default")
	return err
}

// addServiceAccountFlag declares --service-account with -z, and accepts
// --serviceaccount, its other common spelling (oc policy uses it).
func addServiceAccountFlag(cmd *cobra.Command, add func(fs *pflag.FlagSet, name, short, usage string), usage string) {
	add(cmd.Flags(), "service-account", "z", usage)
	cmd.Flags().SetNormalizeFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		if name == "serviceaccount" {
			name = "service-account"
		}
		return pflag.NormalizedName(name)
	})
}
