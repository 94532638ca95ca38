package rbac

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	authzv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// blockingStreams answers only when its context ends.
type blockingStreams struct{}

func (blockingStreams) CountImageStreams(ctx context.Context, _ string) (int, error) {
	<-ctx.Done()
	return 0, ctx.Err()
}
func (blockingStreams) ImageStreamExists(ctx context.Context, _, _ string) (bool, error) {
	<-ctx.Done()
	return false, ctx.Err()
}

// A failed access review decides CanPush: the stream look-up still running
// is cancelled instead of waited for.
func TestCanPushCancelsTheOtherQuestionsOnFailure(t *testing.T) {
	cs := fake.NewClientset()
	boom := errors.New("apiserver exploded")
	cs.PrependReactor("create", "selfsubjectaccessreviews", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, boom
	})
	c := &Client{RBAC: cs.RbacV1(), Authz: cs.AuthorizationV1(), Core: cs.CoreV1(), Streams: blockingStreams{}}
	done := make(chan error, 1)
	go func() { _, err := c.CanPush(context.Background(), "p", "app"); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, boom) {
			t.Fatalf("CanPush: %v, want the review's error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("CanPush waited for a question whose answer no longer mattered")
	}
}

// AccessEventually asks again until the answer is the one wanted (RBAC
// caches lag a new binding), and stops when the caller's context ends.
func TestAccessEventually(t *testing.T) {
	cs := fake.NewClientset()
	var calls atomic.Int32
	cs.PrependReactor("create", "subjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		sar := a.(k8stesting.CreateAction).GetObject().(*authzv1.SubjectAccessReview)
		sar.Status.Allowed = calls.Add(1) >= 3
		return true, sar, nil
	})
	c := &Client{RBAC: cs.RbacV1(), Authz: cs.AuthorizationV1(), Core: cs.CoreV1()}
	got, err := c.AccessEventually(context.Background(), user("alice"), Attributes(Push, "p", ""), true)
	if !got || err != nil || calls.Load() != 3 {
		t.Fatalf("AccessEventually = %v, %v after %d reviews; want true after 3", got, err, calls.Load())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.AccessEventually(ctx, user("alice"), Attributes(Push, "p", ""), false); !errors.Is(err, context.Canceled) {
		t.Fatalf("AccessEventually with a cancelled context: %v", err)
	}
}
