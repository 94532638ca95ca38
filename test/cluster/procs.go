package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// start runs a component detached from this process (own session), with its
// output in logs/<name>.log, and records its PID.
func start(p *paths, st *state, name string, args []string, env ...string) error {
	logf, err := os.OpenFile(p.s("logs", name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(st.Bins[name], args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", name, err)
	}
	st.PIDs[name] = cmd.Process.Pid
	go cmd.Wait() // reap it if it dies while we are still running
	return p.saveState(st)
}

// alive reports whether pid is a running (not zombie) process of ours.
func alive(pid int, bin string) bool {
	if pid <= 0 {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	if i := strings.LastIndexByte(string(stat), ')'); i > 0 && len(stat) > i+2 && (stat[i+2] == 'Z' || stat[i+2] == 'X') {
		return false
	}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	return err == nil && (bin == "" || strings.TrimSuffix(exe, " (deleted)") == bin)
}

// stop sends SIGTERM, waits, then SIGKILLs. Only PIDs whose executable is
// the binary we started are signalled.
func stop(pid int, bin string, timeout time.Duration) {
	if !alive(pid, bin) {
		return
	}
	syscall.Kill(pid, syscall.SIGTERM)
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if !alive(pid, bin) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	syscall.Kill(pid, syscall.SIGKILL)
	for i := 0; i < 100 && alive(pid, bin); i++ {
		time.Sleep(20 * time.Millisecond)
	}
}

// rssPeak sums VmHWM (peak resident set) of the recorded processes, in KiB.
func rssPeak(st *state) int {
	total := 0
	for _, pid := range st.PIDs {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
				n, _ := strconv.Atoi(f[1])
				total += n
			}
		}
	}
	return total
}

func portFree(port int) bool {
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

func httpsClient(p *paths) (*http.Client, error) {
	pem, err := os.ReadFile(p.s("ca.crt"))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}, nil
}

// waitFor polls check until it succeeds, the process dies or time runs out.
func waitFor(ctx context.Context, what string, timeout time.Duration, pid int, bin string, check func() error) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		if last = check(); last == nil {
			return nil
		}
		if pid > 0 && !alive(pid, bin) {
			return fmt.Errorf("%s exited during start-up: see its log", what)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s not ready after %s: %v", what, timeout, last)
}

func getStatus(c *http.Client, url, token string) (int, error) {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
