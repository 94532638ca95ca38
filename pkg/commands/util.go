package commands

import "github.com/oc-registry/oc-registry/pkg/clierr"

// usageIfErr marks a flag-validation error as a usage error.
func usageIfErr(err error) error {
	if err == nil {
		return nil
	}
	return clierr.WithCode(clierr.CodeUsage, err)
}
