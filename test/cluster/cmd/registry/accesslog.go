package main

import (
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/sirupsen/logrus"
)

// accessLog writes the outer access line the OpenShift registry writes for
// every request, denied ones included: msg=response with the request and
// the response's status, size and duration, and no user or repository
// (those are on the inner "response completed" lines).
func accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		cw := &countingWriter{statusWriter: statusWriter{ResponseWriter: w, status: http.StatusOK}}
		next.ServeHTTP(cw, r)
		logrus.WithFields(logrus.Fields{
			"http.request.host":       r.Host,
			"http.request.id":         uuid.NewString(),
			"http.request.method":     r.Method,
			"http.request.remoteaddr": r.RemoteAddr,
			"http.request.uri":        r.RequestURI,
			"http.request.useragent":  r.UserAgent(),
			"http.response.duration":  time.Since(start).String(),
			"http.response.status":    cw.status,
			"http.response.written":   cw.written,
		}).Info("response")
	})
}

type countingWriter struct {
	statusWriter
	written int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.ResponseWriter.Write(b)
	c.written += int64(n)
	return n, err
}
