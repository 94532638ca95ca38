package image

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestProgressLineUnits(t *testing.T) {
	var b bytes.Buffer
	ProgressLine(&b)(Progress{Done: 64 << 20, Total: 128 << 20, Elapsed: 2 * time.Second})
	if got := b.String(); got != "pushed 64.0 MiB of 128.0 MiB, 32.0 MiB/s, ETA 2s\n" {
		t.Fatalf("progress line: %q", got)
	}
}

func TestBarDrawsAndFinishes(t *testing.T) {
	var b bytes.Buffer
	update, finish := Bar(&b)
	update(Progress{Done: 0, Total: 0}) // nothing known yet: no bar
	update(Progress{Done: 1 << 20, Total: 4 << 20, Elapsed: time.Second})
	update(Progress{Done: 4 << 20, Total: 4 << 20, Elapsed: 2 * time.Second})
	finish()
	out := b.String()
	if !strings.Contains(out, "pushing") || !strings.Contains(out, "4.0 MiB / 4.0 MiB") {
		t.Fatalf("bar output: %q", out)
	}
	if _, f := Bar(&b); f != nil {
		f() // finish without a bar returns at once
	}
}
