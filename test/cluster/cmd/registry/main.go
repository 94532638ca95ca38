// Command registry is the local cluster's stand-in for the OpenShift image
// registry: distribution v3 with filesystem storage, OpenShift's access rules
// (TokenReview + SubjectAccessReview per request), ImageStreams written on
// push, imageregistry_* metrics at /extensions/v2/metrics, and logrus text
// logs, also written as a CRI log file that kwok serves as the pod's log.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/auth"
	"github.com/distribution/distribution/v3/registry/handlers"
	storagemiddleware "github.com/distribution/distribution/v3/registry/storage/driver/middleware"
	"github.com/google/uuid"
	"github.com/sirupsen/logrus"
	"k8s.io/client-go/tools/clientcmd"

	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "registry:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:15000", "listen address")
	certFile := flag.String("tls-cert", "", "serving certificate (PEM)")
	keyFile := flag.String("tls-key", "", "serving key (PEM)")
	storage := flag.String("storage", "", "filesystem storage root")
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig with rights for TokenReview, SubjectAccessReview and impersonation")
	criLog := flag.String("cri-log", "", "also write logs to this file in CRI format (for kwok)")
	backends := flag.String("balance", "", "run as the route: spread connections on --addr over these comma-separated replicas")
	routeHost := flag.String("route-host", "", "with --balance: the route host, served with --route-cert and reencrypted to the replicas")
	routeCert := flag.String("route-cert", "", "with --route-host: the ingress certificate (PEM)")
	routeKey := flag.String("route-key", "", "with --route-host: its key (PEM)")
	backendCA := flag.String("backend-ca", "", "with --route-host: the CA the replicas' certificate is checked against")
	flag.Parse()
	if *backends != "" {
		rt, err := loadRoute(*routeHost, *routeCert, *routeKey, *backendCA)
		if err != nil {
			return fmt.Errorf("route: %w", err)
		}
		return balance(*addr, *backends, rt)
	}
	if *storage == "" || *kubeconfig == "" {
		return errors.New("--storage and --kubeconfig are required")
	}

	level, err := logrus.ParseLevel(envOr("REGISTRY_LOG_LEVEL", "info"))
	if err != nil {
		return fmt.Errorf("REGISTRY_LOG_LEVEL: %w", err)
	}
	closeLog, err := setupLogging(level, *criLog)
	if err != nil {
		return err
	}
	defer closeLog()

	restCfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		return fmt.Errorf("kubeconfig: %w", err)
	}
	restCfg.QPS, restCfg.Burst = 200, 400
	kc, err := newKubeChecker(restCfg)
	if err != nil {
		return err
	}

	m := newMetrics()
	ctx := context.Background()
	staticFields = logrus.Fields{
		"go.version":       runtime.Version(),
		"instance.id":      uuid.NewString(),
		"openshift.logger": "registry",
	}
	log := logrus.NewEntry(logrus.StandardLogger())
	log.Infof("version=%s", registryVersion)

	if err := auth.Register("openshift", func(map[string]any) (auth.AccessController, error) {
		return &accessController{kube: kc}, nil
	}); err != nil {
		return err
	}
	if err := storagemiddleware.Register("openshift-metrics", m.storageMiddleware); err != nil {
		return err
	}

	cfg := &configuration.Configuration{
		Version: "0.1",
		Storage: configuration.Storage{
			"filesystem": configuration.Parameters{"rootdirectory": *storage},
			"delete":     configuration.Parameters{"enabled": true},
			"cache":      configuration.Parameters{"blobdescriptor": "inmemory"},
		},
		Auth:       configuration.Auth{"openshift": configuration.Parameters{}},
		Middleware: map[string][]configuration.Middleware{"storage": {{Name: "openshift-metrics"}}},
	}
	cfg.HTTP.Secret = envOr("REGISTRY_HTTP_SECRET", uuid.NewString())
	cfg.Log.AccessLog.Disabled = true
	log.Info("Using OpenShift Auth handler")
	app := handlers.NewApp(ctx, cfg)

	mux := http.NewServeMux()
	mux.Handle("/extensions/v2/metrics", m.handler(kc))
	mux.Handle("/openshift/token", tokenHandler(kc))
	mux.Handle("/", m.instrument(withRequestInfo(kc, crossMount(kc, app))))

	srv := &http.Server{
		Addr:              *addr,
		Handler:           accessLog(mux),
		ReadHeaderTimeout: 30 * time.Second,
		BaseContext:       func(_ net.Listener) context.Context { return ctx },
		ErrorLog:          nil,
	}
	if *certFile != "" {
		cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			return fmt.Errorf("loading TLS pair: %w", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
	errc := make(chan error, 1)
	go func() {
		log.Infof("listening on %s", *addr)
		if srv.TLSConfig != nil {
			errc <- srv.ListenAndServeTLS("", "")
		} else {
			errc <- srv.ListenAndServe()
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-stop:
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
