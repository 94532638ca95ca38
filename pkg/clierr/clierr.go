// Package clierr holds the errors the CLI shows to people: a message, an
// optional hint line, and the exit code a script can branch on.
package clierr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// Exit codes. They are documented in docs/exit-codes.md; keep both in step.
const (
	CodeOK           = 0
	CodeError        = 1
	CodeUsage        = 2
	CodeUnauthorized = 3 // not logged in, or the token was rejected
	CodeForbidden    = 4 // logged in, but RBAC says no
	CodeNo           = 5 // a question (can-i) was answered "no"
	CodeDegraded     = 6 // status: the registry is degraded
	CodeNotInstalled = 7 // status, expose: the registry (its operator config) is not there
	CodeInterrupted  = 130
)

// Error is an error with a hint for the user and an exit code.
type Error struct {
	Err  error
	Hint string
	Code int
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// WithHint attaches a hint line to err, keeping its exit code.
func WithHint(err error, format string, a ...any) error {
	if err == nil {
		return nil
	}
	return &Error{Err: err, Hint: fmt.Sprintf(format, a...)}
}

// WithCode attaches an exit code to err.
func WithCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Err: err, Code: code}
}

// Usagef builds a usage error (exit code 2).
func Usagef(format string, a ...any) error {
	return &Error{Err: fmt.Errorf(format, a...), Code: CodeUsage}
}

// Code returns the exit code for err. The outermost explicit code wins; API
// errors map to the unauthorized and forbidden codes.
func Code(err error) int {
	if err == nil {
		return CodeOK
	}
	var ce *Error
	for cur := err; errors.As(cur, &ce); cur = ce.Err {
		if ce.Code != 0 {
			return ce.Code
		}
	}
	switch {
	case apierrors.IsUnauthorized(err):
		return CodeUnauthorized
	case apierrors.IsForbidden(err):
		return CodeForbidden
	case errors.Is(err, context.Canceled):
		return CodeInterrupted
	}
	return CodeError
}

// hint returns the first hint found in the chain, or a default for
// well-known API errors.
func hint(err error) string {
	var ce *Error
	for cur := err; errors.As(cur, &ce); cur = ce.Err {
		if ce.Hint != "" {
			return ce.Hint
		}
	}
	if apierrors.IsUnauthorized(err) {
		return "your token was rejected or has expired: run 'oc login' and try again"
	}
	return ""
}

// message turns err into one line. Unauthorized API errors read like
// kubectl's, because that is what users search for.
func message(err error) string {
	msg := err.Error()
	if apierrors.IsUnauthorized(err) && !strings.Contains(msg, "logged in") {
		msg = "you must be logged in to the server (Unauthorized)"
	}
	msg = strings.TrimSpace(msg)
	return strings.Join(strings.Fields(strings.ReplaceAll(msg, "\n", " ")), " ")
}

// Print writes err as "error: ..." and, when there is one, "hint: ..." lines.
func Print(w io.Writer, err error) {
	if err == nil {
		return
	}
	if errors.Is(err, Silent) {
		return
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(w, "error: interrupted")
		return
	}
	fmt.Fprintf(w, "error: %s\n", message(err))
	if h := hint(err); h != "" {
		fmt.Fprintf(w, "hint: %s\n", h)
	}
}

// Silent is an error that sets the exit code and prints nothing: the
// command has already said what it had to (can-i answering "no").
var Silent = errors.New("")
