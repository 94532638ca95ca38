// Package image pushes and tags images into the integrated registry through
// containers/image, and checks names against the registry's rule: exactly
// <project>/<name>[:tag], where the project is an existing project.
package image

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/util/validation"
)

// Target is an image in the integrated registry.
type Target struct {
	Registry string `json:"registry,omitempty"`
	Project  string `json:"project"`
	Name     string `json:"name"`
	Tag      string `json:"tag"`
}

// Repo is PROJECT/NAME.
func (t Target) Repo() string { return t.Project + "/" + t.Name }

// String is PROJECT/NAME:TAG, with the registry when set.
func (t Target) String() string {
	s := t.Repo() + ":" + t.Tag
	if t.Registry != "" {
		s = t.Registry + "/" + s
	}
	return s
}

var (
	// OpenShift's image stream name rule (openshift-apiserver image
	// validation): stricter than distribution's, no "__" and no "--".
	nameComponent = regexp.MustCompile(`^[a-z0-9]+(?:[._-][a-z0-9]+)*$`)
	tagPattern    = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	notNameChars  = regexp.MustCompile(`[^a-z0-9._-]+`)
	notLabelChars = regexp.MustCompile(`[^a-z0-9-]+`)
	dashes        = regexp.MustCompile(`-{2,}`)
	dots          = regexp.MustCompile(`\.{2,}`)
	underscores   = regexp.MustCompile(`_{2,}`)
)

// maxRepoLen is distribution's limit for a full repository name.
const maxRepoLen = 255

// ParseTarget checks s against the registry's naming rule before anything
// is sent. s is PROJECT/NAME[:TAG], optionally preceded by the registry
// host (a full pull spec). With flatten, extra path levels are joined into
// the name with "-". Errors state the rule and the nearest valid form.
func ParseTarget(s string, flatten bool) (Target, error) {
	orig := s
	if strings.TrimSpace(s) == "" {
		return Target{}, fmt.Errorf("empty image name: use PROJECT/NAME[:TAG]")
	}
	if !utf8.ValidString(s) {
		return Target{}, fmt.Errorf("image name %q is not valid UTF-8", s)
	}
	if s != strings.TrimSpace(s) || strings.ContainsAny(s, " \t\n") {
		return Target{}, fmt.Errorf("image name %q contains spaces", orig)
	}
	if i := strings.Index(s, "@"); i >= 0 {
		return Target{}, fmt.Errorf("%q names a digest: push and tag write tags, use PROJECT/NAME:TAG (the digest is printed after the push)", orig)
	}
	var t Target
	parts := strings.Split(s, "/")
	if len(parts) >= 3 && looksLikeHost(parts[0]) {
		t.Registry, parts = parts[0], parts[1:]
	}
	last := parts[len(parts)-1]
	if name, tag, ok := strings.Cut(last, ":"); ok {
		if tag == "" {
			return Target{}, fmt.Errorf("%q has an empty tag after ':': use NAME:TAG, or leave ':' out for latest", orig)
		}
		if !tagPattern.MatchString(tag) {
			return Target{}, fmt.Errorf("invalid tag %q in %q: up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'", tag, orig)
		}
		parts[len(parts)-1], t.Tag = name, tag
	} else {
		t.Tag = "latest"
	}
	for _, p := range parts {
		if p == "" {
			return Target{}, fmt.Errorf("%q has an empty path level: use PROJECT/NAME", orig)
		}
	}
	switch {
	case len(parts) == 1:
		return Target{}, fmt.Errorf("%q has no project: the registry stores images as PROJECT/NAME, e.g. myproject/%s", orig, suggestName(parts[0]))
	case len(parts) > 2 && !flatten:
		return Target{}, fmt.Errorf("%q has %d path levels: the registry allows one project level only (PROJECT/NAME); try %s/%s, or pass --flatten",
			orig, len(parts), parts[0], strings.Join(parts[1:], "-"))
	}
	t.Project, t.Name = parts[0], strings.Join(parts[1:], "-")
	if msgs := validation.IsDNS1123Label(t.Project); len(msgs) > 0 {
		return Target{}, fmt.Errorf("invalid project %q in %q: a project name is lowercase letters, digits and '-', at most 63, starting and ending with a letter or digit; try %q",
			t.Project, orig, suggestLabel(t.Project))
	}
	if !nameComponent.MatchString(t.Name) {
		return Target{}, fmt.Errorf("invalid image name %q in %q: lowercase letters and digits, separated by a single '.', '_' or '-' (OpenShift's image stream rule); try %q",
			t.Name, orig, suggestName(t.Name))
	}
	if n := len(t.Repo()); n > maxRepoLen {
		return Target{}, fmt.Errorf("repository name %q is %d characters long: the limit is %d", t.Repo(), n, maxRepoLen)
	}
	return t, nil
}

func looksLikeHost(s string) bool {
	return strings.ContainsAny(s, ".:") || s == "localhost"
}

func suggestLabel(s string) string {
	l := notLabelChars.ReplaceAllString(strings.ToLower(s), "-")
	l = strings.Trim(dashes.ReplaceAllString(l, "-"), "-")
	if len(l) > 63 {
		l = strings.Trim(l[:63], "-")
	}
	if l == "" {
		return "myproject"
	}
	return l
}

func suggestName(s string) string {
	n := notNameChars.ReplaceAllString(strings.ToLower(s), "-")
	n = dots.ReplaceAllString(n, ".")
	n = underscores.ReplaceAllString(n, "_")
	n = strings.Trim(dashes.ReplaceAllString(n, "-"), "-._")
	if n == "" || !nameComponent.MatchString(n) {
		return "myimage"
	}
	return n
}
