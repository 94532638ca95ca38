package image

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/oc-registry/oc-registry/pkg/registry"
	"github.com/opencontainers/go-digest"
	"go.podman.io/image/v5/manifest"
	"go.podman.io/image/v5/types"
	"golang.org/x/sync/errgroup"
)

// Tag points dst at src's image inside the same registry. Blobs are mounted
// from src's repository (or found already in dst's), so no layer moves;
// only manifests are written. It talks to the registry directly: a handful
// of requests, the whole reason tag is fast.
func Tag(ctx context.Context, src, dst Target, o Options) (*Result, error) {
	start := time.Now()
	m, err := newClient(o.Sys, dst.Registry, o.AllowRealms)
	if err != nil {
		return nil, err
	}
	mb, mt, err := m.GetManifest(ctx, src.Repo(), src.Tag)
	if errors.Is(err, registry.ErrNotFound) {
		return nil, fmt.Errorf("%s:%s not found in the registry", src.Repo(), src.Tag)
	}
	if err != nil {
		return nil, err
	}
	blobs, children, err := blobsOf(ctx, m, src.Repo(), mb, mt)
	if err != nil {
		return nil, err
	}
	if o.Gate != nil {
		if err := o.Gate(); err != nil {
			return nil, err
		}
	}
	res := &Result{}
	// Across repositories one mount request answers both "is it there" and
	// "link it"; within one repository the blob is there already. The
	// requests are independent, so they go out together.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for _, b := range blobs {
		res.Size += b.Size
		g.Go(func() error {
			d := b.Digest.String()
			var have bool
			var err error
			if src.Repo() == dst.Repo() {
				have, err = m.BlobExists(gctx, dst.Repo(), d)
			} else {
				have, err = m.Mount(gctx, dst.Repo(), src.Repo(), d)
			}
			if err == nil && !have {
				err = fmt.Errorf("the registry would not mount blob %s from %s into %s: use push docker://%s %s to copy the image",
					d, src.Repo(), dst.Repo(), src, dst.Repo()+":"+dst.Tag)
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	res.Reused = len(blobs)
	if o.Cache != nil {
		// Best effort: the tag is made either way.
		_ = recordBlobs(o.Cache, dst.Registry, src.Repo(), blobs)
		_ = recordBlobs(o.Cache, dst.Registry, dst.Repo(), blobs)
	}
	for _, c := range children {
		if err := m.PutManifest(ctx, dst.Repo(), c.digest.String(), c.mediaType, c.blob); err != nil {
			return nil, err
		}
	}
	if err := m.PutManifest(ctx, dst.Repo(), dst.Tag, mt, mb); err != nil {
		return nil, err
	}
	res.Digest = digest.FromBytes(mb).String()
	res.Reference = dst.Registry + "/" + dst.Repo() + "@" + res.Digest
	res.Tags = []string{dst.Tag}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

type childManifest struct {
	digest    digest.Digest
	mediaType string
	blob      []byte
}

// blobsOf lists the config and layers of a manifest; for a manifest list,
// of every image in it, with the images' manifests.
func blobsOf(ctx context.Context, m *registry.Client, repo string, mb []byte, mt string) ([]types.BlobInfo, []childManifest, error) {
	if !manifest.MIMETypeIsMultiImage(mt) {
		parsed, err := manifest.FromBlob(mb, mt)
		if err != nil {
			return nil, nil, fmt.Errorf("parsing the manifest: %w", err)
		}
		out := []types.BlobInfo{parsed.ConfigInfo()}
		for _, l := range parsed.LayerInfos() {
			out = append(out, l.BlobInfo)
		}
		return out, nil, nil
	}
	list, err := manifest.ListFromBlob(mb, mt)
	if err != nil {
		return nil, nil, fmt.Errorf("parsing the manifest list: %w", err)
	}
	var out []types.BlobInfo
	var children []childManifest
	for _, d := range list.Instances() {
		imb, imt, err := m.GetManifest(ctx, repo, d.String())
		if err != nil {
			return nil, nil, err
		}
		blobs, _, err := blobsOf(ctx, m, repo, imb, imt)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, blobs...)
		children = append(children, childManifest{digest: d, mediaType: imt, blob: imb})
	}
	return out, children, nil
}
