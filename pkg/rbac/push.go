package rbac

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// Decision is a preflight answer with the reason and the fix.
type Decision struct {
	Allowed bool
	Reason  string
	Role    string // the role an admin should grant, when denied
}

// CanPush asks (SelfSubjectAccessReview) whether the current user may push
// to namespace/stream: update imagestreams/layers, and create imagestreams
// when the stream does not exist yet (checked when stream is set and the
// client has Streams).
func (c *Client) CanPush(ctx context.Context, namespace, stream string) (Decision, error) {
	// The three questions are independent: ask them at once. A failure
	// that decides the answer cancels the others; whether the user may
	// create streams matters only when the stream is missing, so its error
	// is kept for later.
	var (
		update, create, found bool
		errC, errFind         error
	)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(3)
	g.Go(func() error {
		var err error
		update, _, err = c.SelfAccess(gctx, Attributes(Push, namespace, stream))
		return err
	})
	if stream != "" && c.Streams != nil {
		g.Go(func() error {
			found, errFind = c.Streams.ImageStreamExists(gctx, namespace, stream)
			if apierrors.IsForbidden(errFind) {
				return nil // unknown; decided below
			}
			if errFind != nil {
				return fmt.Errorf("looking up image stream %s/%s: %w", namespace, stream, errFind)
			}
			return nil
		})
		g.Go(func() error {
			create, _, errC = c.SelfAccess(gctx, CreateStreamAttributes(namespace))
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return Decision{}, err
	}
	if !update {
		return Decision{Reason: fmt.Sprintf("you may not push to project %s (update imagestreams/layers is denied)", namespace), Role: "editor"}, nil
	}
	if stream == "" || c.Streams == nil {
		return Decision{Allowed: true}, nil
	}
	unknown := apierrors.IsForbidden(errFind)
	if found {
		return Decision{Allowed: true}, nil
	}
	if errC != nil {
		return Decision{}, errC
	}
	if create {
		return Decision{Allowed: true}, nil
	}
	if unknown {
		return Decision{Reason: fmt.Sprintf("you may not read image streams, so whether %s/%s exists is unknown, and you may not create it: pushes work only to existing streams", namespace, stream), Role: "builder"}, nil
	}
	return Decision{Reason: fmt.Sprintf("image stream %s/%s does not exist and you may not create image streams (pusher cannot; builder and editor can)", namespace, stream), Role: "builder"}, nil
}

// NoStreamsYet reports whether namespace has no image stream at all (false
// when that cannot be told): a pusher there cannot push a new image.
func (c *Client) NoStreamsYet(ctx context.Context, namespace string) bool {
	if c.Streams == nil {
		return false
	}
	n, err := c.Streams.CountImageStreams(ctx, namespace)
	return err == nil && n == 0
}

// CanPull asks whether the current user may pull from namespace/stream.
func (c *Client) CanPull(ctx context.Context, namespace, stream string) (Decision, error) {
	ok, _, err := c.SelfAccess(ctx, Attributes(Pull, namespace, stream))
	if err != nil {
		return Decision{}, err
	}
	if !ok {
		return Decision{Reason: fmt.Sprintf("you may not pull from project %s (get imagestreams/layers is denied)", namespace), Role: "viewer"}, nil
	}
	return Decision{Allowed: true}, nil
}
