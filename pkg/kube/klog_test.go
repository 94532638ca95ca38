package kube

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/spf13/pflag"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coreclient "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
)

// At -v=8 client-go logs response bodies. Quiet hides them for its own
// requests only: a request running at the same time still logs, because
// the global verbosity is never changed.
func TestQuietIsPerRequest(t *testing.T) {
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	AddKlogFlags(fs)
	if err := fs.Parse([]string{"-v=8"}); err != nil {
		t.Fatal(err)
	}
	defer fs.Set("v", "0")
	var logs bytes.Buffer
	var mu sync.Mutex
	klog.SetOutput(&lockedWriter{w: &logs, mu: &mu})
	klog.LogToStderr(false)
	defer klog.LogToStderr(true)

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		name := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		w.Write([]byte(`{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"` + name + `"},"data":{"k":"body-of-` + name + `"}}`))
	}))
	defer srv.Close()
	core, err := coreclient.NewForConfig(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, q := range []struct {
		name  string
		quiet bool
	}{{"secret-one", true}, {"loud-one", false}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			if q.quiet {
				ctx = Quiet(ctx)
			}
			if _, err := core.ConfigMaps("ns").Get(ctx, q.name, metav1.GetOptions{}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	klog.Flush()
	mu.Lock()
	defer mu.Unlock()
	if strings.Contains(logs.String(), "body-of-secret-one") {
		t.Errorf("a quiet request's body was logged:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "body-of-loud-one") {
		t.Errorf("the other request's body was not logged at -v=8 (was the verbosity changed?):\n%s", logs.String())
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
