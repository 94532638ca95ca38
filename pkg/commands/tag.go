package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/oc-registry/oc-registry/pkg/clierr"
	"github.com/oc-registry/oc-registry/pkg/image"
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// TagOptions retags an image inside the registry.
type TagOptions struct {
	imageFlags
	src, dst image.Target
	genericiooptions.IOStreams
}

// NewCmdTag builds `tag SRC DST`.
func NewCmdTag(f Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := &TagOptions{IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "tag PROJECT/NAME:TAG PROJECT/NAME:TAG",
		Short: "Tag an image in the registry, across projects too, without moving layers",
		Long: `Point a tag at an existing image. The layers are mounted from the source
repository inside the registry (you need pull on the source and push on the
destination); only the manifest is written, so tagging takes well under a second
whatever the image size.`,
		Example: `  oc-registry tag team-a/app:v1 team-a/app:stable
  oc-registry tag team-a/app:v1 prod/app:v1`,
		Args: cobra.ExactArgs(2),
		RunE: runE(f, o),
	}
	o.imageFlags.addFlags(cmd)
	return cmd
}

// Complete parses both names and builds the clients.
func (o *TagOptions) Complete(f Factory, cmd *cobra.Command, args []string) error {
	o.name = programName(cmd)
	var err error
	if o.src, err = image.ParseTarget(args[0], o.Flatten); err != nil {
		return clierr.WithCode(clierr.CodeUsage, fmt.Errorf("source: %w", err))
	}
	if o.dst, err = image.ParseTarget(args[1], o.Flatten); err != nil {
		return clierr.WithCode(clierr.CodeUsage, fmt.Errorf("destination: %w", err))
	}
	if o.src.Registry != "" && o.dst.Registry != "" && !strings.EqualFold(o.src.Registry, o.dst.Registry) {
		return clierr.Usagef("tag works inside one registry: use push docker://%s %s to copy between registries", o.src, o.dst.Repo())
	}
	if o.dst.Registry == "" {
		o.dst.Registry = o.src.Registry
	}
	return o.build(f)
}

// Validate checks the flags.
func (o *TagOptions) Validate() error { return o.validate() }

// Run finds the registry, checks permissions and tags.
func (o *TagOptions) Run(ctx context.Context) error {
	if err := o.resolve(ctx, &o.dst); err != nil {
		return err
	}
	o.src.Registry = o.dst.Registry
	opts := image.Options{Sys: o.sys(o.dst.Registry), AllowRealms: o.AllowRealms, CachePath: image.BlobCachePath()}
	opts.Cache = image.OpenBlobCache(opts.CachePath)
	// Checked while the source manifest is read; nothing is written
	// before the answer.
	opts.Gate = o.gate(ctx, o.ErrOut, &o.src, o.dst)
	res, err := image.Tag(ctx, o.src, o.dst, opts)
	var ce *clierr.Error
	if errors.As(err, &ce) {
		return err
	}
	if err != nil {
		return o.explainPush(err)
	}
	if !o.Quiet {
		fmt.Fprintf(o.ErrOut, "tagged %s as %s in %.2fs: %d blobs mounted or present, %d copied\n",
			o.src.Repo()+":"+o.src.Tag, o.dst.Repo()+":"+o.dst.Tag, res.Seconds, res.Reused, res.Pushed)
	}
	return o.print(o.Out, res)
}
