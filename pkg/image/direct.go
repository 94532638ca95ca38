package image

import (
	"context"
	"errors"
	"fmt"
	"io"

	"go.podman.io/image/v5/image"
	"go.podman.io/image/v5/manifest"
	"go.podman.io/image/v5/types"
	"golang.org/x/sync/errgroup"
)

// errNotDirect means the image needs copy.Image (a list, foreign layers, a
// format the destination does not take, or a source without concurrent
// reads).
var errNotDirect = errors.New("not a direct upload")

// directPush uploads an image whose manifest can go to the registry as it
// is, through c/image's own source and destination, without copy.Image's
// pipeline. The blob digests are known from the manifest, so c/image's
// docker destination does not hash them again (copy.Image always does, on
// the client: about 0.4 CPU-s per 512 MiB on a 2-core machine shared with
// the registry). The registry still checks every digest.
func directPush(ctx context.Context, src types.ImageReference, dst Target, destRef types.ImageReference, o Options, t *tracker) ([]byte, error) {
	if _, ok := src.(concurrentRef); !ok {
		return nil, errNotDirect
	}
	source, err := src.NewImageSource(ctx, o.SourceSys)
	if err != nil {
		return nil, err
	}
	defer source.Close()
	mb, mt, err := source.GetManifest(ctx, nil)
	if err != nil {
		return nil, err
	}
	if manifest.MIMETypeIsMultiImage(mt) {
		return nil, errNotDirect
	}
	parsed, err := manifest.FromBlob(mb, mt)
	if err != nil {
		return nil, err
	}
	dest, err := destRef.NewImageDestination(ctx, o.Sys)
	if err != nil {
		return nil, err
	}
	defer dest.Close()
	if types := dest.SupportedManifestMIMETypes(); len(types) > 0 && !contains(types, mt) {
		return nil, errNotDirect
	}
	blobs := []types.BlobInfo{parsed.ConfigInfo()}
	for _, l := range parsed.LayerInfos() {
		if len(l.URLs) > 0 || l.Size < 0 {
			return nil, errNotDirect
		}
		blobs = append(blobs, l.BlobInfo)
	}
	cache := o.Cache
	mnt := &mounter{o: o, dst: dst}
	// The first failure cancels the other uploads: the push fails anyway.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(o.Jobs, 1))
	for i, b := range blobs {
		g.Go(func() error { return uploadBlob(gctx, source, dest, b, i == 0, cache, mnt, t) })
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	// The manifest last: a failure above leaves the tag as it was.
	if err := dest.PutManifest(ctx, mb, nil); err != nil {
		return nil, fmt.Errorf("writing the manifest: %w", err)
	}
	if err := dest.Commit(ctx, image.UnparsedInstance(source, nil)); err != nil {
		return nil, err
	}
	return mb, nil
}

func uploadBlob(ctx context.Context, source types.ImageSource, dest types.ImageDestination, b types.BlobInfo, isConfig bool, cache types.BlobInfoCache, mt *mounter, t *tracker) (err error) {
	defer guardCache(&err)()
	t.ch <- types.ProgressProperties{Event: types.ProgressEventNewArtifact, Artifact: b}
	reused, _, err := dest.TryReusingBlob(ctx, b, cache, false)
	if err != nil {
		return fmt.Errorf("checking blob %s: %w", b.Digest, err)
	}
	if !reused {
		if reused, err = mt.mountKnown(ctx, b.Digest); err != nil {
			return err
		}
	}
	if reused {
		t.ch <- types.ProgressProperties{Event: types.ProgressEventSkipped, Artifact: b}
		return nil
	}
	rc, _, err := source.GetBlob(ctx, b, cache)
	if err != nil {
		return fmt.Errorf("reading blob %s: %w", b.Digest, err)
	}
	defer rc.Close()
	counted := &countingReader{r: rc, report: func(n int) {
		t.ch <- types.ProgressProperties{Event: types.ProgressEventRead, Artifact: b, OffsetUpdate: uint64(n)}
	}}
	if _, err := dest.PutBlob(ctx, counted, b, cache, isConfig); err != nil {
		return fmt.Errorf("uploading blob %s: %w", b.Digest, err)
	}
	counted.flush()
	t.ch <- types.ProgressProperties{Event: types.ProgressEventDone, Artifact: b}
	return nil
}

// countingReader reports progress every MiB.
type countingReader struct {
	r       io.Reader
	pending int
	report  func(int)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.pending += n
	if c.pending >= 1<<20 {
		c.flush()
	}
	return n, err
}

func (c *countingReader) flush() {
	if c.pending > 0 {
		c.report(c.pending)
		c.pending = 0
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
