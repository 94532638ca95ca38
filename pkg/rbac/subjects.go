package rbac

import (
	"errors"
	"fmt"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// ParseSubjects turns the positional names and the --group and
// --serviceaccount values into RBAC subjects, checking all before any is
// used. Positional names are users, except the forms OpenShift prints for
// robots: "system:serviceaccounts:NS" is a group (every service account in
// NS) and "system:serviceaccount:NS:NAME" is that service account.
func ParseSubjects(names, groups, serviceAccounts []string) ([]rbacv1.Subject, []string, error) {
	var subs []rbacv1.Subject
	var warnings []string
	var errs []error
	for _, n := range names {
		s, warn, err := parseName(n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if warn != "" {
			warnings = append(warnings, warn)
		}
		subs = append(subs, s)
	}
	for _, g := range groups {
		if strings.Contains(g, ",") {
			errs = append(errs, fmt.Errorf("invalid group name %q: no commas; repeat the flag for each group (--group %s)", g, strings.Join(strings.Split(g, ","), " --group ")))
			continue
		}
		if strings.TrimSpace(g) == "" || strings.ContainsAny(g, " \t\n") {
			errs = append(errs, fmt.Errorf("invalid group name %q", g))
			continue
		}
		subs = append(subs, rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: g})
	}
	for _, sa := range serviceAccounts {
		if strings.Contains(sa, ",") {
			errs = append(errs, fmt.Errorf("invalid service account %q: no commas; repeat the flag for each service account", sa))
			continue
		}
		s, err := ParseServiceAccount(sa)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		subs = append(subs, s)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	if len(subs) == 0 {
		return nil, nil, errors.New("no subject given: name at least one user, --group or --serviceaccount")
	}
	return dedupe(subs), warnings, nil
}

func parseName(n string) (rbacv1.Subject, string, error) {
	if strings.TrimSpace(n) == "" {
		return rbacv1.Subject{}, "", errors.New("empty user name")
	}
	if strings.Contains(n, ",") {
		return rbacv1.Subject{}, "", fmt.Errorf("invalid user name %q: no commas; give each user as its own argument (%s)", n, strings.Join(strings.Split(n, ","), " "))
	}
	if strings.ContainsAny(n, " \t\n/") {
		return rbacv1.Subject{}, "", fmt.Errorf("invalid user name %q: no spaces or slashes", n)
	}
	if ns, ok := strings.CutPrefix(n, "system:serviceaccounts:"); ok {
		if msgs := validation.IsDNS1123Label(ns); len(msgs) > 0 {
			return rbacv1.Subject{}, "", fmt.Errorf("invalid group %q: %q is not a project name", n, ns)
		}
		return rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: n}, "", nil
	}
	if rest, ok := strings.CutPrefix(n, "system:serviceaccount:"); ok {
		s, err := ParseServiceAccount(rest)
		return s, "", err
	}
	warn := ""
	switch {
	case n == "system:authenticated" || n == "system:unauthenticated" || n == "system:serviceaccounts" || strings.HasPrefix(n, "system:cluster-"):
		warn = fmt.Sprintf("%q looks like a group, but is granted as a user: use --group %s if you meant the group", n, n)
	case strings.Contains(n, ":"):
		warn = fmt.Sprintf("%q contains a colon and is granted as a user: for a service account use --serviceaccount NAMESPACE:NAME", n)
	}
	return rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: n}, warn, nil
}

// ParseServiceAccount parses NAMESPACE:NAME.
func ParseServiceAccount(s string) (rbacv1.Subject, error) {
	ns, name, ok := strings.Cut(s, ":")
	if !ok || ns == "" || name == "" || strings.Contains(name, ":") {
		return rbacv1.Subject{}, fmt.Errorf("invalid service account %q: use NAMESPACE:NAME, e.g. ci:builder-bot", s)
	}
	if msgs := validation.IsDNS1123Label(ns); len(msgs) > 0 {
		return rbacv1.Subject{}, fmt.Errorf("invalid service account %q: namespace %q: %s", s, ns, msgs[0])
	}
	if msgs := validation.IsDNS1123Subdomain(name); len(msgs) > 0 {
		return rbacv1.Subject{}, fmt.Errorf("invalid service account %q: name %q: %s", s, name, msgs[0])
	}
	return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}, nil
}

// SameSubject compares kind, name and (for service accounts) namespace.
func SameSubject(a, b rbacv1.Subject) bool {
	return a.Kind == b.Kind && a.Name == b.Name && (a.Kind != rbacv1.ServiceAccountKind || a.Namespace == b.Namespace)
}

// SubjectString is how subjects appear in output: alice, group developers,
// serviceaccount ci:bot.
func SubjectString(s rbacv1.Subject) string {
	switch s.Kind {
	case rbacv1.GroupKind:
		return "group " + s.Name
	case rbacv1.ServiceAccountKind:
		return "serviceaccount " + s.Namespace + ":" + s.Name
	}
	return s.Name
}

func dedupe(subs []rbacv1.Subject) []rbacv1.Subject {
	var out []rbacv1.Subject
	for _, s := range subs {
		if !containsSubject(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func containsSubject(list []rbacv1.Subject, s rbacv1.Subject) bool {
	for _, x := range list {
		if SameSubject(x, s) {
			return true
		}
	}
	return false
}
