package main

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
)

// setupLogging sets logrus to the registry's text format. With criPath the
// lines are also written as a CRI container log, which kwok serves as the
// registry pod's log.
func setupLogging(level logrus.Level, criPath string) (func(), error) {
	logrus.SetLevel(level)
	logrus.SetFormatter(&logrus.TextFormatter{
		DisableColors:   true,
		FullTimestamp:   true,
		TimestampFormat: time.RFC3339Nano,
	})
	logrus.AddHook(userHook{})
	if criPath == "" {
		logrus.SetOutput(os.Stderr)
		return func() {}, nil
	}
	f, err := os.OpenFile(criPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	w := &criWriter{w: bufio.NewWriter(f)}
	logrus.SetOutput(io.MultiWriter(os.Stderr, w))
	return func() { w.flush(); f.Close() }, nil
}

// criWriter prefixes each line with "<RFC3339Nano> stdout F ". logrus writes
// one whole entry per Write call.
type criWriter struct {
	mu sync.Mutex
	w  *bufio.Writer
}

func (c *criWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ts := time.Now().UTC().Format(time.RFC3339Nano)
	for _, line := range bytes.Split(bytes.TrimRight(p, "\n"), []byte("\n")) {
		c.w.WriteString(ts)
		c.w.WriteString(" stdout F ")
		c.w.Write(line)
		c.w.WriteByte('\n')
	}
	return len(p), c.w.Flush()
}

func (c *criWriter) flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.w.Flush()
}

// users maps a request id to the OpenShift user the access controller found,
// so every log line of that request carries openshift.auth.user.
var users sync.Map

// staticFields go on every line, as the OpenShift registry's do.
var staticFields logrus.Fields

type userHook struct{}

func (userHook) Levels() []logrus.Level { return logrus.AllLevels }

func (userHook) Fire(e *logrus.Entry) error {
	for k, v := range staticFields {
		if _, ok := e.Data[k]; !ok {
			e.Data[k] = v
		}
	}
	id, ok := e.Data["http.request.id"].(string)
	if !ok {
		return nil
	}
	if v, ok := users.Load(id); ok {
		u := v.(*identity)
		e.Data["openshift.auth.user"] = u.name
		e.Data["openshift.auth.userid"] = u.uid
	}
	return nil
}
