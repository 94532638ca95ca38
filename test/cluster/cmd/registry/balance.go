package main

import (
	"io"
	"net"
	"strings"
	"sync/atomic"
	"time"
)

// balance is the local stand-in for the route and the service: it spreads
// TCP connections over the replicas round-robin, skipping one that does not
// accept, as a router with health checks does. TLS passes through: every
// replica serves the same certificate.
func balance(addr, backends string) error {
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
			for i := range targets {
				t := targets[(int(start)+i)%len(targets)]
				b, err := net.DialTimeout("tcp", t, 2*time.Second)
				if err != nil {
					continue
				}
				defer b.Close()
				go func() { io.Copy(b, c); b.(*net.TCPConn).CloseWrite() }()
				io.Copy(c, b)
				return
			}
		}()
	}
}
