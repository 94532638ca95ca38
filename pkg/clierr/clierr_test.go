package clierr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestCode(t *testing.T) {
	gr := schema.GroupResource{Group: "rbac.authorization.k8s.io", Resource: "rolebindings"}
	forbidden := apierrors.NewForbidden(gr, "x", errors.New("no"))
	unauthorized := apierrors.NewUnauthorized("token expired")
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, CodeOK},
		{"plain", errors.New("boom"), CodeError},
		{"usage", Usagef("bad flag"), CodeUsage},
		{"forbidden", forbidden, CodeForbidden},
		{"wrapped forbidden", fmt.Errorf("granting: %w", forbidden), CodeForbidden},
		{"unauthorized", unauthorized, CodeUnauthorized},
		{"hint keeps the API code", WithHint(fmt.Errorf("x: %w", unauthorized), "log in"), CodeUnauthorized},
		{"explicit code wins", WithCode(CodeNo, forbidden), CodeNo},
		{"outer code wins", WithCode(CodeUsage, WithCode(CodeNo, errors.New("x"))), CodeUsage},
		{"interrupted", fmt.Errorf("pushing: %w", context.Canceled), CodeInterrupted},
	}
	for _, tt := range tests {
		if got := Code(tt.err); got != tt.want {
			t.Errorf("%s: Code = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestPrint(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"plain", errors.New("boom"), "error: boom\n"},
		{"hint", WithHint(errors.New(`pushing "p/a": denied`), `run "oc-registry grant editor alice -n p"`),
			"error: pushing \"p/a\": denied\nhint: run \"oc-registry grant editor alice -n p\"\n"},
		{"multi-line message becomes one line", errors.New("first\n  second"), "error: first second\n"},
		{"unauthorized reads like kubectl", apierrors.NewUnauthorized("x"),
			"error: you must be logged in to the server (Unauthorized)\nhint: your token was rejected or has expired: run 'oc login' and try again\n"},
		{"inner hint found through wrapping", fmt.Errorf("outer: %w", WithHint(errors.New("inner"), "do this")),
			"error: outer: inner\nhint: do this\n"},
		{"canceled", context.Canceled, "error: interrupted\n"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		Print(&b, tt.err)
		if b.String() != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, b.String(), tt.want)
		}
	}
}
