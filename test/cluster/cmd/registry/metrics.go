package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"time"

	storagedriver "github.com/distribution/distribution/v3/registry/storage/driver"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	authzv1 "k8s.io/api/authorization/v1"
)

const registryVersion = "v3.1.2+oc-registry-local"

var objectives = map[float64]float64{0.5: 0.05, 0.9: 0.01, 0.99: 0.001}

// metrics are the imageregistry_* families the OpenShift registry serves.
type metrics struct {
	reg             *prometheus.Registry
	requests        *prometheus.CounterVec
	duration        *prometheus.SummaryVec
	inFlight        prometheus.Gauge
	reqSize         *prometheus.SummaryVec
	respSize        *prometheus.SummaryVec
	writeHeader     *prometheus.SummaryVec
	ptCache         *prometheus.CounterVec
	ptDuration      *prometheus.SummaryVec
	ptErrors        *prometheus.CounterVec
	opDuration      *prometheus.SummaryVec
	storageDuration *prometheus.SummaryVec
	storageErrors   *prometheus.CounterVec
	digestCache     *prometheus.CounterVec
	digestScoped    *prometheus.CounterVec

	mu     sync.Mutex
	global map[string]bool
	scoped map[string]bool
}

func newMetrics() *metrics {
	ns := "imageregistry"
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: "http", Name: "requests_total",
			Help: "Total number of HTTP requests made."}, []string{"code", "method"}),
		duration: prometheus.NewSummaryVec(prometheus.SummaryOpts{Namespace: ns, Subsystem: "http", Name: "request_duration_seconds",
			Help: "A histogram of latencies for requests to the registry.", Objectives: objectives}, []string{"method"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Subsystem: "http", Name: "in_flight_requests",
			Help: "A gauge of requests currently being served by the registry."}),
		reqSize: prometheus.NewSummaryVec(prometheus.SummaryOpts{Namespace: ns, Subsystem: "http", Name: "request_size_bytes",
			Help: "A histogram of sizes of requests to the registry.", Objectives: objectives}, nil),
		respSize: prometheus.NewSummaryVec(prometheus.SummaryOpts{Namespace: ns, Subsystem: "http", Name: "response_size_bytes",
			Help: "A histogram of response sizes for requests to the registry.", Objectives: objectives}, nil),
		writeHeader: prometheus.NewSummaryVec(prometheus.SummaryOpts{Namespace: ns, Subsystem: "http", Name: "time_to_write_header_seconds",
			Help: "A histogram of request durations until the response headers are written.", Objectives: objectives}, nil),
		ptCache: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: "pullthrough", Name: "blobstore_cache_requests_total",
			Help: "Total number of requests to the BlobStore cache."}, []string{"type"}),
		ptDuration: prometheus.NewSummaryVec(prometheus.SummaryOpts{Namespace: ns, Subsystem: "pullthrough", Name: "repository_duration_seconds",
			Help: "Latency of operations with remote registries in seconds.", Objectives: objectives}, []string{"registry", "operation"}),
		ptErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: "pullthrough", Name: "repository_errors_total",
			Help: "Cumulative number of failed operations with remote registries."}, []string{"registry", "operation", "code"}),
		opDuration: prometheus.NewSummaryVec(prometheus.SummaryOpts{Namespace: ns, Name: "request_duration_seconds",
			Help: "Request latency in seconds for each operation.", Objectives: objectives}, []string{"operation"}),
		storageDuration: prometheus.NewSummaryVec(prometheus.SummaryOpts{Namespace: ns, Subsystem: "storage", Name: "duration_seconds",
			Help: "Storage operation latency in seconds.", Objectives: objectives}, []string{"operation"}),
		storageErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: "storage", Name: "errors_total",
			Help: "Total number of failed storage operations."}, []string{"operation", "code"}),
		digestCache: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: "digest_cache", Name: "requests_total",
			Help: "Total number of requests without scope to the digest cache."}, []string{"type"}),
		digestScoped: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: "digest_cache", Name: "scoped_requests_total",
			Help: "Total number of scoped requests to the digest cache."}, []string{"type"}),
		global: map[string]bool{},
		scoped: map[string]bool{},
	}
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "build_info",
		Help: "A metric with a constant '1' value labeled by major, minor, git commit & git version from which the image registry was built."},
		[]string{"gitCommit", "gitVersion", "major", "minor"})
	build.WithLabelValues("local", registryVersion, "3", "1").Set(1)
	// The same families as openshift/image-registry's metrics/prometheus.go.
	// The local registry does no pull-through: those families are there,
	// with the blobstore cache at zero and no remote-registry series.
	m.reg.MustRegister(build, m.requests, m.duration, m.inFlight, m.reqSize, m.respSize, m.writeHeader, m.opDuration,
		m.storageDuration, m.storageErrors, m.digestCache, m.digestScoped, m.ptCache, m.ptDuration, m.ptErrors,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, t := range []string{"Hit", "Miss"} {
		m.digestCache.WithLabelValues(t)
		m.digestScoped.WithLabelValues(t)
		m.ptCache.WithLabelValues(t)
	}
	return m
}

// instrument wraps the registry's HTTP API with the http_* families.
func (m *metrics) instrument(next http.Handler) http.Handler {
	op := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		m.lookupDigest(r)
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		m.opDuration.WithLabelValues(operation(r)).Observe(time.Since(start).Seconds())
		if sw.status < 300 {
			m.rememberDigest(r)
		}
	})
	var h http.Handler = promhttp.InstrumentHandlerCounter(m.requests, op)
	h = promhttp.InstrumentHandlerDuration(m.duration, h)
	h = promhttp.InstrumentHandlerRequestSize(m.reqSize, h)
	h = promhttp.InstrumentHandlerResponseSize(m.respSize, h)
	h = promhttp.InstrumentHandlerTimeToWriteHeader(m.writeHeader, h)
	return promhttp.InstrumentHandlerInFlight(m.inFlight, h)
}

// operation names a request the way the registry's request metrics do.
func operation(r *http.Request) string {
	parts := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/v2"), "/"), "/")
	kind := "base"
	switch {
	case len(parts) == 1 && parts[0] == "_catalog":
		kind = "catalog"
	case len(parts) >= 3 && parts[len(parts)-2] == "manifests":
		kind = "manifest"
	case len(parts) >= 3 && parts[len(parts)-2] == "blobs":
		kind = "blob"
	case len(parts) >= 3 && parts[len(parts)-3] == "blobs" || len(parts) >= 2 && parts[len(parts)-1] == "uploads":
		kind = "blobupload"
	case len(parts) >= 2 && parts[len(parts)-2] == "tags":
		kind = "tags"
	}
	return kind + "." + strings.ToLower(r.Method)
}

// blobKey returns repo and digest for /v2/<ns>/<name>/blobs/<digest>.
func blobKey(r *http.Request) (repo, digest string, ok bool) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/v2/"), "/")
	if len(parts) != 4 || parts[2] != "blobs" || !strings.Contains(parts[3], ":") {
		return "", "", false
	}
	return parts[0] + "/" + parts[1], parts[3], true
}

// lookupDigest is the digest cache: which blobs the registry has seen, in
// any repository and in this one.
func (m *metrics) lookupDigest(r *http.Request) {
	repo, dgst, ok := blobKey(r)
	if !ok {
		return
	}
	m.mu.Lock()
	g, s := m.global[dgst], m.scoped[repo+"@"+dgst]
	m.mu.Unlock()
	m.digestCache.WithLabelValues(hitMiss(g)).Inc()
	m.digestScoped.WithLabelValues(hitMiss(s)).Inc()
}

func (m *metrics) rememberDigest(r *http.Request) {
	repo, dgst, ok := blobKey(r)
	if !ok {
		return
	}
	m.mu.Lock()
	m.global[dgst], m.scoped[repo+"@"+dgst] = true, true
	m.mu.Unlock()
}

func hitMiss(b bool) string {
	if b {
		return "Hit"
	}
	return "Miss"
}

// handler serves /extensions/v2/metrics to users allowed to get
// registry/metrics in group image.openshift.io.
func (m *metrics) handler(k *kubeChecker) http.Handler {
	serve := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The real registry routes the metrics endpoint through its access
		// controller (metrichandler.go, auth.go verifyMetricsAccess): the
		// same challenges as any other request, 401 for a denial.
		unauthorized := func(denied bool, msg string) {
			setChallenge(w, realmFor(r), denied)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"errors":[{"code":"UNAUTHORIZED","message":%q,"detail":null}]}`+"\n", msg)
		}
		token, ok := bearerOrBasic(r)
		if !ok {
			unauthorized(false, "authentication required")
			return
		}
		id, err := k.authenticate(r.Context(), token)
		if err != nil {
			unauthorized(true, "access denied")
			return
		}
		allowed, err := k.allowed(r.Context(), id, authzv1.ResourceAttributes{Verb: "get", Group: "image.openshift.io", Resource: "registry", Subresource: "metrics"})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if !allowed {
			unauthorized(true, "access denied")
			return
		}
		serve.ServeHTTP(w, r)
	})
}

// storageMiddleware times storage driver calls for storage_* families.
func (m *metrics) storageMiddleware(_ context.Context, d storagedriver.StorageDriver, _ map[string]any) (storagedriver.StorageDriver, error) {
	return &timedDriver{StorageDriver: d, m: m}, nil
}

type timedDriver struct {
	storagedriver.StorageDriver
	m *metrics
}

func (t *timedDriver) observe(op string, start time.Time, err error) {
	t.m.storageDuration.WithLabelValues(op).Observe(time.Since(start).Seconds())
	if err != nil {
		var code string
		var nf storagedriver.PathNotFoundError
		if errors.As(err, &nf) {
			code = "PATH_NOT_FOUND"
		} else {
			code = strings.TrimPrefix(reflect.TypeOf(err).String(), "*")
		}
		t.m.storageErrors.WithLabelValues(op, code).Inc()
	}
}

func (t *timedDriver) GetContent(ctx context.Context, path string) ([]byte, error) {
	start := time.Now()
	b, err := t.StorageDriver.GetContent(ctx, path)
	t.observe("GetContent", start, err)
	return b, err
}

func (t *timedDriver) PutContent(ctx context.Context, path string, content []byte) error {
	start := time.Now()
	err := t.StorageDriver.PutContent(ctx, path, content)
	t.observe("PutContent", start, err)
	return err
}

func (t *timedDriver) Reader(ctx context.Context, path string, offset int64) (io.ReadCloser, error) {
	start := time.Now()
	rc, err := t.StorageDriver.Reader(ctx, path, offset)
	t.observe("Reader", start, err)
	return rc, err
}

func (t *timedDriver) Writer(ctx context.Context, path string, append bool) (storagedriver.FileWriter, error) {
	start := time.Now()
	w, err := t.StorageDriver.Writer(ctx, path, append)
	t.observe("Writer", start, err)
	return w, err
}

func (t *timedDriver) Stat(ctx context.Context, path string) (storagedriver.FileInfo, error) {
	start := time.Now()
	fi, err := t.StorageDriver.Stat(ctx, path)
	t.observe("Stat", start, err)
	return fi, err
}

func (t *timedDriver) List(ctx context.Context, path string) ([]string, error) {
	start := time.Now()
	l, err := t.StorageDriver.List(ctx, path)
	t.observe("List", start, err)
	return l, err
}

func (t *timedDriver) Move(ctx context.Context, src, dst string) error {
	start := time.Now()
	err := t.StorageDriver.Move(ctx, src, dst)
	t.observe("Move", start, err)
	return err
}

func (t *timedDriver) Delete(ctx context.Context, path string) error {
	start := time.Now()
	err := t.StorageDriver.Delete(ctx, path)
	t.observe("Delete", start, err)
	return err
}
