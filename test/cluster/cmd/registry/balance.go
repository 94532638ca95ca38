package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

// route is what the front needs to act as the router for the route host.
type route struct {
	host    string          // the route's host name (SNI)
	serving tls.Certificate // the ingress certificate for it
	backend *tls.Config     // reencrypt: how the pods' certificate is verified
}

// balance is the local stand-in for the route and the service. It spreads
// TCP connections over the replicas round-robin, skipping one that does not
// accept. A connection for the route host (SNI) is a reencrypt route, as
// OpenShift's default route is: TLS ends here with the ingress certificate
// and a new TLS connection goes to the pod, verified against the service
// CA. Any other connection (the internal host, by IP) passes through, as
// the service does.
func balance(addr, backends string, rt *route) error {
	targets := strings.Split(backends, ",")
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	var next atomic.Uint64
	for {
		c, err := l.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer c.Close()
			start := next.Add(1)
			var client net.Conn = c
			reencrypt := false
			if rt != nil {
				sni, replay := peekSNI(c)
				client = replay
				if strings.EqualFold(sni, rt.host) {
					client = tls.Server(replay, &tls.Config{Certificates: []tls.Certificate{rt.serving}, MinVersion: tls.VersionTLS12})
					reencrypt = true
				}
			}
			for i := range targets {
				t := targets[(int(start)+i)%len(targets)]
				b, err := net.DialTimeout("tcp", t, 2*time.Second)
				if err != nil {
					continue
				}
				if reencrypt {
					b = tls.Client(b, rt.backend)
				}
				defer b.Close()
				go func() { io.Copy(b, client); closeWrite(b) }()
				io.Copy(client, b)
				return
			}
		}()
	}
}

func closeWrite(c net.Conn) {
	switch v := c.(type) {
	case *net.TCPConn:
		v.CloseWrite()
	case *tls.Conn:
		v.CloseWrite()
	}
}

// peekSNI reads the TLS ClientHello's server name, and returns a conn that
// replays what was read.
func peekSNI(c net.Conn) (string, net.Conn) {
	var buf bytes.Buffer
	var sni string
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	errStop := errors.New("stop")
	tls.Server(readOnly{io.TeeReader(c, &buf)}, &tls.Config{
		GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			sni = h.ServerName
			return nil, errStop
		},
	}).Handshake()
	c.SetReadDeadline(time.Time{})
	return sni, &replayConn{Conn: c, r: io.MultiReader(bytes.NewReader(buf.Bytes()), c)}
}

type replayConn struct {
	net.Conn
	r io.Reader
}

func (r *replayConn) Read(b []byte) (int, error) { return r.r.Read(b) }

// readOnly is a conn that only reads: the handshake's answer is not sent.
type readOnly struct{ r io.Reader }

func (c readOnly) Read(b []byte) (int, error)       { return c.r.Read(b) }
func (c readOnly) Write(b []byte) (int, error)      { return len(b), nil }
func (c readOnly) Close() error                     { return nil }
func (c readOnly) LocalAddr() net.Addr              { return nil }
func (c readOnly) RemoteAddr() net.Addr             { return nil }
func (c readOnly) SetDeadline(time.Time) error      { return nil }
func (c readOnly) SetReadDeadline(time.Time) error  { return nil }
func (c readOnly) SetWriteDeadline(time.Time) error { return nil }

// loadRoute reads the route's flags; nil when not given.
func loadRoute(host, cert, key, backendCA string) (*route, error) {
	if host == "" {
		return nil, nil
	}
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		return nil, err
	}
	pem, err := os.ReadFile(backendCA)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &route{host: host, serving: pair,
		backend: &tls.Config{RootCAs: pool, ServerName: "image-registry.openshift-image-registry.svc", MinVersion: tls.VersionTLS12}}, nil
}
