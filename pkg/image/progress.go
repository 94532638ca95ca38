package image

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// ProgressLine prints "pushed X of Y, R MiB/s, ETA E" lines to w: the
// progress for logs and CI, where a redrawn bar would be noise.
func ProgressLine(w io.Writer) func(Progress) {
	return func(p Progress) {
		if p.Total == 0 {
			return
		}
		rate := float64(p.Done) / p.Elapsed.Seconds()
		eta := "?"
		if rate > 0 {
			eta = (time.Duration(float64(p.Total-p.Done)/rate) * time.Second).Round(time.Second).String()
		}
		fmt.Fprintf(w, "pushed %s of %s, %.1f MiB/s, ETA %s\n", MiB(p.Done), MiB(p.Total), rate/(1<<20), eta)
	}
}

// Bar draws one redrawn bar for the whole push on a terminal w (the
// direct path; copy.Image draws c/image's own). finish completes it and
// waits for the last redraw.
func Bar(w io.Writer) (update func(Progress), finish func()) {
	var once sync.Once
	var p *mpb.Progress
	var bar *mpb.Bar
	update = func(pr Progress) {
		if pr.Total == 0 {
			return
		}
		once.Do(func() {
			p = mpb.New(mpb.WithOutput(w), mpb.WithAutoRefresh(), mpb.WithWidth(32), mpb.WithRefreshRate(150*time.Millisecond))
			bar = p.New(pr.Total, mpb.BarStyle(),
				mpb.PrependDecorators(decor.Name("pushing "), decor.CountersKibiByte("% .1f / % .1f")),
				mpb.AppendDecorators(decor.AverageSpeed(decor.SizeB1024(0), " % .1f", decor.WCSyncSpace), decor.Name(" ETA "), decor.AverageETA(decor.ET_STYLE_GO)))
		})
		bar.SetTotal(pr.Total, false)
		bar.SetCurrent(pr.Done)
	}
	finish = func() {
		if bar == nil {
			return
		}
		bar.SetTotal(-1, true)
		p.Wait()
	}
	return update, finish
}

// MiB formats a byte count for people.
func MiB(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
