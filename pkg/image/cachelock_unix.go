//go:build unix

package image

import (
	"os"
	"syscall"
	"time"
)

// lockFree reports whether the BoltDB file at path can be read within
// wait. containers/image opens it without a timeout, so a process that
// hangs while holding its lock would make every push wait for ever; this
// takes a shared lock as BoltDB's readers do, and lets it go at once.
func lockFree(path string, wait time.Duration) bool {
	f, err := os.Open(path)
	if err != nil {
		return true // no file yet: BoltDB creates it
	}
	defer f.Close()
	deadline := time.Now().Add(wait)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
		if err == nil {
			syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
			return true
		}
		if err != syscall.EWOULDBLOCK || time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}
