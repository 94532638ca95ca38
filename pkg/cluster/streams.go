package cluster

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
)

// Streams looks OpenShift image streams up (rbac.ImageStreams).
type Streams struct{ Dynamic dynamic.Interface }

// CountImageStreams returns how many ImageStreams a project has (at most 1
// is counted), or -1 when the cluster has no ImageStream API.
func (s Streams) CountImageStreams(ctx context.Context, namespace string) (int, error) {
	l, err := s.Dynamic.Resource(ImageStreams).Namespace(namespace).List(ctx, metav1.ListOptions{Limit: 1})
	if apierrors.IsNotFound(err) {
		return -1, nil
	}
	if err != nil {
		return 0, err
	}
	return len(l.Items), nil
}

// ImageStreamExists reports whether namespace/name exists.
func (s Streams) ImageStreamExists(ctx context.Context, namespace, name string) (bool, error) {
	_, err := s.Dynamic.Resource(ImageStreams).Namespace(namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}
