package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/opencontainers/go-digest"
	"go.podman.io/image/v5/copy"
	"go.podman.io/image/v5/docker"
	"go.podman.io/image/v5/manifest"
	"go.podman.io/image/v5/pkg/blobinfocache/memory"
	"go.podman.io/image/v5/signature"
	"go.podman.io/image/v5/types"
	"k8s.io/apimachinery/pkg/util/wait"
)

// Options tune push and tag.
type Options struct {
	Sys           *types.SystemContext // destination: auth file, CA, TLS
	SourceSys     *types.SystemContext // source (docker:// sources): its own auth entries
	Jobs          int                  // layers uploaded in parallel
	RetryTimes    int                  // retries after a transient failure
	RetryDelay    time.Duration        // first back-off; doubles each time
	ReportWriter  io.Writer            // c/image's per-layer bars (a terminal), or nil
	Progress      func(Progress)       // called every ProgressEvery with totals, or nil
	ProgressEvery time.Duration
	Log           io.Writer // retry notes
	AllowRealms   []string  // token realm hosts trusted besides the registry
	// Cache remembers which repositories hold which blobs (OpenBlobCache);
	// nil means a memory-only cache. CachePath is its file, set aside if
	// it turns out damaged.
	Cache     types.BlobInfoCache
	CachePath string
	// Gate, when set, runs before anything is written (a permission
	// preflight running meanwhile); its error stops the push.
	Gate func() error
}

// Progress is the aggregate state of a push.
type Progress struct {
	Done, Total int64
	Elapsed     time.Duration
}

// Result is the stable shape of `push -o json` and `tag -o json`.
type Result struct {
	Reference string `json:"reference"` // REGISTRY/PROJECT/NAME@DIGEST
	Digest    string `json:"digest"`
	Size      int64  `json:"size"` // bytes of all blobs of the image
	// Blobs are the image's config and layers: a 2-layer image has 3.
	Pushed  int      `json:"blobsPushed"` // uploaded
	Reused  int      `json:"blobsReused"` // already there, or mounted from another repository
	Moved   int64    `json:"bytesUploaded"`
	Seconds float64  `json:"seconds"`
	Tags    []string `json:"tags"`
	// Unchanged: the destination already held exactly this image; nothing
	// was written (push only).
	Unchanged bool `json:"unchanged"`
}

func dockerRef(t Target) (types.ImageReference, error) {
	return docker.ParseReference("//" + t.String())
}

func policy() (*signature.PolicyContext, error) {
	return signature.NewPolicyContext(&signature.Policy{Default: []signature.PolicyRequirement{signature.NewPRInsecureAcceptAnything()}})
}

// Push copies src to dst (and tags it with extraTags). The manifest is
// written last, so a failed push never leaves a tag on a partial image.
func Push(ctx context.Context, src types.ImageReference, dst Target, extraTags []string, o Options) (*Result, error) {
	start := time.Now()
	destRef, err := dockerRef(dst)
	if err != nil {
		return nil, fmt.Errorf("destination %s: %w", dst, err)
	}
	pc, err := policy()
	if err != nil {
		return nil, err
	}
	defer pc.Destroy()

	if res, ok := alreadyThere(ctx, src, dst, o); ok {
		// The product decision on re-push: the tag already holds exactly
		// this manifest, so nothing is written and nothing needs the
		// permission preflight (crane and skopeo users see the same).
		// Extra tags are writes: they still wait for it.
		res.Unchanged = true
		if o.Gate != nil && len(extraTags) > 0 {
			if err := o.Gate(); err != nil {
				return nil, err
			}
		}
		return finish(ctx, res, dst, extraTags, o, start)
	}
	if o.Gate != nil {
		if err := o.Gate(); err != nil {
			return nil, err
		}
	}
	if o.Cache == nil {
		o.Cache = memory.New()
	}
	res := &Result{}
	var copied []byte
	backoff := wait.Backoff{Duration: o.RetryDelay, Factor: 2, Steps: o.RetryTimes + 1}
	cacheDropped := false
	for attempt := 0; ; attempt++ {
		report, every, finish := o.Progress, o.ProgressEvery, func() {}
		terminal := report == nil && o.ReportWriter != nil
		var bar func(Progress)
		if terminal {
			bar, finish = Bar(o.ReportWriter)
			report, every = bar, 200*time.Millisecond
		}
		tracker := newTracker(report, every, start)
		copied, err = directPush(ctx, src, dst, destRef, o, tracker)
		if errors.Is(err, errNotDirect) {
			// Nothing was sent yet. On a terminal c/image draws its own
			// bars for copy.Image.
			tracker.stop()
			if terminal {
				report = nil
			}
			tracker = newTracker(report, every, start)
			copied, err = copyImage(ctx, pc, src, dst, destRef, o, tracker)
		}
		tracker.stop()
		if report != nil && terminal {
			bar(Progress{Done: tracker.done, Total: tracker.total, Elapsed: time.Since(start)})
			finish()
		}
		res.Pushed, res.Reused, res.Size, res.Moved = tracker.pushed, tracker.reused, tracker.total, tracker.done
		var damaged errCacheDamaged
		if errors.As(err, &damaged) && !cacheDropped {
			// Once: the retry runs on a memory cache, so a second panic is
			// not the file's doing and ends the push.
			cacheDropped = true
			setAside(o.CachePath, o.logf)
			o.Cache, attempt = memory.New(), attempt-1
			continue
		}
		if err == nil || attempt >= o.RetryTimes || !Transient(err) || ctx.Err() != nil {
			break
		}
		delay := backoff.Step()
		o.logf(fmt.Sprintf("push failed (%v); retrying in %s (attempt %d of %d)", err, delay, attempt+2, o.RetryTimes+1))
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(delay):
		}
	}
	if err != nil {
		return nil, fmt.Errorf("pushing %s: %w", dst.Repo()+":"+dst.Tag, err)
	}
	dgst, err := manifest.Digest(copied)
	if err != nil {
		return nil, err
	}
	res.Digest = dgst.String()
	return finish(ctx, res, dst, extraTags, o, start)
}

func (o Options) logf(msg string) {
	if o.Log != nil {
		fmt.Fprintln(o.Log, msg)
	}
}

// copyImage is the general path (lists, conversions, archives, docker://
// sources). copy.Image uses a cache of its own, in memory without cgo, so
// blobs our cache knows in other repositories are mounted first and the
// pushed blobs recorded after.
func copyImage(ctx context.Context, pc *signature.PolicyContext, src types.ImageReference, dst Target, destRef types.ImageReference, o Options, tracker *tracker) (copied []byte, err error) {
	if blobs, berr := sourceBlobs(ctx, src, o.SourceSys); berr == nil {
		if err := (&mounter{o: o, dst: dst}).premount(ctx, blobs); err != nil {
			return nil, err
		}
	}
	copied, err = copy.Image(ctx, pc, destRef, src, &copy.Options{
		ReportWriter:         o.ReportWriter,
		SourceCtx:            o.SourceSys,
		DestinationCtx:       o.Sys,
		ProgressInterval:     200 * time.Millisecond,
		Progress:             tracker.ch,
		MaxParallelDownloads: uint(max(o.Jobs, 1)),
		// A multi-platform source (an OCI index, a manifest list) goes up
		// whole, with the same digest: by default c/image would push only
		// this machine's platform under the tag.
		ImageListSelection: copy.CopyAllImages,
		// One extra manifest read on a fresh push; on a re-push it
		// saves a request per blob (measured in bench/push.sh).
		OptimizeDestinationImageAlreadyExists: true,
	})
	if err != nil {
		return nil, err
	}
	if mb, mt := copied, manifest.GuessMIMEType(copied); !manifest.MIMETypeIsMultiImage(mt) {
		if parsed, perr := manifest.FromBlob(mb, mt); perr == nil {
			blobs := append([]types.BlobInfo{parsed.ConfigInfo()}, infos(parsed.LayerInfos())...)
			if err := recordBlobs(o.Cache, dst.Registry, dst.Repo(), blobs); err != nil {
				return nil, err
			}
		}
	}
	return copied, nil
}

func infos(layers []manifest.LayerInfo) []types.BlobInfo {
	out := make([]types.BlobInfo, len(layers))
	for i, l := range layers {
		out[i] = l.BlobInfo
	}
	return out
}

// sourceBlobs lists the config and layers of the source image; for a list,
// of every image in it.
func sourceBlobs(ctx context.Context, src types.ImageReference, sys *types.SystemContext) ([]types.BlobInfo, error) {
	source, err := src.NewImageSource(ctx, sys)
	if err != nil {
		return nil, err
	}
	defer source.Close()
	mb, mt, err := source.GetManifest(ctx, nil)
	if err != nil {
		return nil, err
	}
	var instances []*digest.Digest
	if manifest.MIMETypeIsMultiImage(mt) {
		list, err := manifest.ListFromBlob(mb, mt)
		if err != nil {
			return nil, err
		}
		for _, d := range list.Instances() {
			instances = append(instances, &d)
		}
	} else {
		instances = []*digest.Digest{nil}
	}
	var out []types.BlobInfo
	for _, d := range instances {
		b, t := mb, mt
		if d != nil {
			if b, t, err = source.GetManifest(ctx, d); err != nil {
				return nil, err
			}
		}
		parsed, err := manifest.FromBlob(b, t)
		if err != nil {
			return nil, err
		}
		out = append(out, parsed.ConfigInfo())
		out = append(out, infos(parsed.LayerInfos())...)
	}
	return out, nil
}

// finish adds the extra tags and fills in the result.
func finish(ctx context.Context, res *Result, dst Target, extraTags []string, o Options, start time.Time) (*Result, error) {
	res.Reference = dst.Registry + "/" + dst.Repo() + "@" + res.Digest
	res.Tags = []string{dst.Tag}
	o.Gate = nil // already passed
	for _, t := range extraTags {
		extra := dst
		extra.Tag = t
		if _, err := Tag(ctx, dst, extra, o); err != nil {
			return res, fmt.Errorf("adding tag %s: %w", t, err)
		}
		res.Tags = append(res.Tags, t)
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// alreadyThere reports whether dst already holds exactly src's manifest
// (a re-push): one HEAD request instead of a request per blob.
func alreadyThere(ctx context.Context, src types.ImageReference, dst Target, o Options) (*Result, bool) {
	source, err := src.NewImageSource(ctx, o.SourceSys)
	if err != nil {
		return nil, false
	}
	defer source.Close()
	mb, mt, err := source.GetManifest(ctx, nil)
	if err != nil || manifest.MIMETypeIsMultiImage(mt) {
		return nil, false
	}
	parsed, err := manifest.FromBlob(mb, mt)
	if err != nil {
		return nil, false
	}
	m, err := newClient(o.Sys, dst.Registry, o.AllowRealms)
	if err != nil {
		return nil, false
	}
	want := digest.FromBytes(mb).String()
	if got, err := m.ManifestDigest(ctx, dst.Repo(), dst.Tag); err != nil || got != want {
		return nil, false
	}
	res := &Result{Digest: want, Reused: len(parsed.LayerInfos()) + 1}
	res.Size = parsed.ConfigInfo().Size
	for _, l := range parsed.LayerInfos() {
		res.Size += l.Size
	}
	return res, true
}

// tracker turns c/image's per-blob progress into totals and counts.
type tracker struct {
	ch      chan types.ProgressProperties
	quit    chan struct{}
	stopped chan struct{}

	blobs, seen    map[string]int64
	total, done    int64
	pushed, reused int
}

func newTracker(report func(Progress), every time.Duration, start time.Time) *tracker {
	t := &tracker{ch: make(chan types.ProgressProperties, 64), quit: make(chan struct{}), stopped: make(chan struct{}), blobs: map[string]int64{}, seen: map[string]int64{}}
	if every <= 0 {
		every = 3 * time.Second
	}
	go func() {
		defer close(t.stopped)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case p := <-t.ch:
				t.add(p)
			case <-tick.C:
				if report != nil {
					report(Progress{Done: t.done, Total: t.total, Elapsed: time.Since(start)})
				}
			case <-t.quit:
				for {
					select {
					case p := <-t.ch:
						t.add(p)
					default:
						return
					}
				}
			}
		}
	}()
	return t
}

func (t *tracker) add(p types.ProgressProperties) {
	d := p.Artifact.Digest.String()
	switch p.Event {
	case types.ProgressEventNewArtifact:
		if _, seen := t.blobs[d]; !seen && p.Artifact.Size > 0 {
			t.blobs[d] = p.Artifact.Size
			t.total += p.Artifact.Size
		}
	case types.ProgressEventRead:
		t.done += int64(p.OffsetUpdate)
		t.seen[d] += int64(p.OffsetUpdate)
	case types.ProgressEventDone:
		t.pushed++
		if size := t.blobs[d]; size > t.seen[d] {
			t.done += size - t.seen[d]
			t.seen[d] = size
		}
	case types.ProgressEventSkipped:
		t.reused++
		if _, seen := t.blobs[d]; !seen && p.Artifact.Size > 0 {
			t.blobs[d] = p.Artifact.Size
			t.total += p.Artifact.Size
		}
	}
}

func (t *tracker) stop() {
	close(t.quit)
	<-t.stopped
}
