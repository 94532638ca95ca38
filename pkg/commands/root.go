// Package commands holds the cobra commands. Each file is one command: an
// Options struct, NewCmdX, and Complete/Validate/Run. Logic lives in the
// cobra-free packages beside this one.
package commands

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/oc-registry/oc-registry/pkg/clierr"
	"github.com/oc-registry/oc-registry/pkg/kube"
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// PluginBinary is the file name kubectl and oc discover as "image-registry".
const PluginBinary = "kubectl-image_registry"

// DisplayName is the command name to show in help and usage: "oc-registry"
// when run directly, and "oc image-registry" when run as the plugin binary.
// kubectl and oc exec plugins in place, so which of the two ran us cannot be
// seen; oc is the one OpenShift users have.
func DisplayName(argv0 string) string {
	if strings.TrimSuffix(filepath.Base(argv0), ".exe") == PluginBinary {
		return "oc image-registry"
	}
	return "oc-registry"
}

// NewRootCmd builds the command tree. name is the display name.
func NewRootCmd(streams genericiooptions.IOStreams, name string) *cobra.Command {
	kf := &kube.Flags{}
	root := &cobra.Command{
		Use:   "oc-registry",
		Short: "Administer the OpenShift integrated image registry",
		Long: `oc-registry administers the OpenShift integrated image registry: who may pull,
push and read metrics, logging in with your cluster token, pushing images into
projects, the registry's status (one verdict, and an exit code for scripts),
exposing it through its default route, 'doctor' for a push or pull that fails,
and its logs (every pod's, merged, filtered and followed; 'logs --set-level'
changes the level).`,
		Annotations:   map[string]string{cobra.CommandDisplayNameAnnotation: name},
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          unknownCommand,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
	}
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &clierr.Error{Err: err, Code: clierr.CodeUsage,
			Hint: fmt.Sprintf("see '%s --help'", c.CommandPath())}
	})

	kf.AddFlags(root.PersistentFlags())
	kube.AddKlogFlags(root.PersistentFlags())

	root.AddGroup(
		&cobra.Group{ID: "login", Title: "Logging in:"},
		&cobra.Group{ID: "access", Title: "Access to the registry:"},
		&cobra.Group{ID: "images", Title: "Images:"},
		&cobra.Group{ID: "registry", Title: "The registry:"},
		&cobra.Group{ID: "other", Title: "Other commands:"},
	)
	f := NewFactory(kf)
	access := []*cobra.Command{
		NewCmdGrant(f, streams),
		NewCmdRevoke(f, streams),
		NewCmdWhoCan(f, streams),
		NewCmdCanI(f, streams),
		NewCmdDoctor(f, streams),
	}
	for _, r := range []string{"viewer", "editor", "builder", "metrics"} {
		access = append(access, NewCmdGrantAlias(f, streams, r))
	}
	for _, c := range access {
		c.GroupID = "access"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{
		NewCmdLogin(f, streams),
		NewCmdLogout(f, streams),
		NewCmdInfo(f, streams),
		NewCmdToken(f, streams),
	} {
		c.GroupID = "login"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{NewCmdPush(f, streams), NewCmdTag(f, streams)} {
		c.GroupID = "images"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{NewCmdStatus(f, streams), NewCmdExpose(f, streams), NewCmdLogs(f, streams), NewCmdMetrics(f, streams, name)} {
		c.GroupID = "registry"
		root.AddCommand(c)
	}
	v := NewCmdVersion(streams)
	v.GroupID = "other"
	root.AddCommand(v)
	root.SetHelpCommandGroupID("other")
	root.SetCompletionCommandGroupID("other")
	registerCompletions(root, kf)
	for _, c := range root.Commands() {
		wrapArgs(c)
		useDisplayName(c, name)
	}
	return root
}

// useDisplayName writes the examples with the name the user runs us as:
// a krew user has only "kubectl image-registry", not oc-registry.
func useDisplayName(c *cobra.Command, name string) {
	if name != "oc-registry" {
		c.Example = strings.ReplaceAll(c.Example, "oc-registry ", name+" ")
	}
	for _, sub := range c.Commands() {
		useDisplayName(sub, name)
	}
}

// unknownCommand rejects arguments to the root command as a usage error, with
// cobra's suggestions.
func unknownCommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf(" (did you mean %q?)", s[0])
	}
	return &clierr.Error{Err: fmt.Errorf("%s", msg), Code: clierr.CodeUsage,
		Hint: fmt.Sprintf("see '%s --help' for the list of commands", cmd.CommandPath())}
}

// wrapArgs makes argument-count errors usage errors, with a pointer to help.
func wrapArgs(c *cobra.Command) {
	if c.Args != nil {
		check := c.Args
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				return &clierr.Error{Err: err, Code: clierr.CodeUsage,
					Hint: fmt.Sprintf("see '%s --help'", cmd.CommandPath())}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		wrapArgs(sub)
	}
}
