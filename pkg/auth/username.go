package auth

import (
	"fmt"
	"strings"
)

// ValidateUsername refuses names the registry cannot take: Basic
// credentials are split at the first colon, so "a:b" would make "b..."
// part of the password and the login would fail.
func ValidateUsername(u string) error {
	if u == "" {
		return fmt.Errorf("empty user name")
	}
	if strings.Contains(u, ":") {
		return fmt.Errorf("user name %q contains a colon: registries split Basic credentials at the first colon, so the login would fail (the name itself does not matter: the token carries your identity)", u)
	}
	if strings.ContainsAny(u, " \t\n") {
		return fmt.Errorf("user name %q contains spaces", u)
	}
	return nil
}

// DeriveUsername turns a kubeconfig user name into a registry user name:
// "kube:admin/api-example-com:6443" becomes "kube-admin". The registry
// ignores it; it only shows up in `podman login --get-login`.
func DeriveUsername(kubeUser string) string {
	u, _, _ := strings.Cut(kubeUser, "/")
	u = strings.NewReplacer(":", "-", " ", "-", "\t", "-").Replace(u)
	u = strings.Trim(u, "-")
	if u == "" {
		return "oc-registry"
	}
	return u
}
