package image

import (
	"context"
	"fmt"
	"time"

	"github.com/opencontainers/go-digest"
	"go.podman.io/image/v5/image"
	"go.podman.io/image/v5/manifest"
	"go.podman.io/image/v5/pkg/blobinfocache/memory"
	"go.podman.io/image/v5/types"
)

// Tag points dst at src's image inside the same registry. Blobs are mounted
// from src's repository (or found already in dst's), so no layer is
// downloaded; only the manifest is written.
func Tag(ctx context.Context, src, dst Target, o Options) (*Result, error) {
	start := time.Now()
	srcRef, err := dockerRef(src)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", src, err)
	}
	dstRef, err := dockerRef(dst)
	if err != nil {
		return nil, fmt.Errorf("destination %s: %w", dst, err)
	}
	source, err := srcRef.NewImageSource(ctx, o.Sys)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", src.Repo()+":"+src.Tag, err)
	}
	defer source.Close()
	mb, mt, err := source.GetManifest(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("reading the manifest of %s: %w", src.Repo()+":"+src.Tag, err)
	}
	blobs, children, err := blobsOf(ctx, source, mb, mt)
	if err != nil {
		return nil, err
	}
	dest, err := dstRef.NewImageDestination(ctx, o.Sys)
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", dst.Repo(), err)
	}
	defer dest.Close()

	m, err := newMounter(ctx, o.Sys, dst.Registry, src.Repo(), dst.Repo())
	if err != nil {
		return nil, err
	}
	cache := memory.New()
	res := &Result{}
	for _, b := range blobs {
		res.Size += b.Size
		d := b.Digest.String()
		// Across repositories one mount request answers both "is it
		// there" and "link it"; within one repository the blob is there.
		var have bool
		if src.Repo() == dst.Repo() {
			have, err = m.exists(ctx, dst.Repo(), d)
		} else {
			have, err = m.mount(ctx, dst.Repo(), src.Repo(), d)
		}
		if err != nil {
			return nil, err
		}
		if have {
			res.Reused++
			continue
		}
		// Not mountable (the registry refused): copy the bytes.
		rc, size, err := source.GetBlob(ctx, b, cache)
		if err != nil {
			return nil, fmt.Errorf("reading blob %s: %w", b.Digest, err)
		}
		_, err = dest.PutBlob(ctx, rc, b, cache, false)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("writing blob %s: %w", b.Digest, err)
		}
		res.Pushed++
		res.Moved += size
	}
	for _, c := range children {
		if err := dest.PutManifest(ctx, c.blob, &c.digest); err != nil {
			return nil, fmt.Errorf("writing manifest %s of the list: %w", c.digest, err)
		}
	}
	if err := dest.PutManifest(ctx, mb, nil); err != nil {
		return nil, fmt.Errorf("writing the manifest of %s: %w", dst.Repo()+":"+dst.Tag, err)
	}
	if err := dest.Commit(ctx, image.UnparsedInstance(source, nil)); err != nil {
		return nil, err
	}
	dgst, err := manifest.Digest(mb)
	if err != nil {
		return nil, err
	}
	res.Digest = dgst.String()
	res.Reference = dst.Registry + "/" + dst.Repo() + "@" + res.Digest
	res.Tags = []string{dst.Tag}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

type childManifest struct {
	digest digest.Digest
	blob   []byte
}

// blobsOf lists the config and layers of a manifest; for a manifest list,
// of every image in it, with the images' manifests.
func blobsOf(ctx context.Context, source types.ImageSource, mb []byte, mt string) ([]types.BlobInfo, []childManifest, error) {
	if !manifest.MIMETypeIsMultiImage(mt) {
		m, err := manifest.FromBlob(mb, mt)
		if err != nil {
			return nil, nil, fmt.Errorf("parsing the manifest: %w", err)
		}
		out := []types.BlobInfo{m.ConfigInfo()}
		for _, l := range m.LayerInfos() {
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
		imb, imt, err := source.GetManifest(ctx, &d)
		if err != nil {
			return nil, nil, fmt.Errorf("reading manifest %s: %w", d, err)
		}
		blobs, _, err := blobsOf(ctx, source, imb, imt)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, blobs...)
		children = append(children, childManifest{digest: d, blob: imb})
	}
	return out, children, nil
}
