//go:build !unix

package image

import "time"

// lockFree is always true where BoltDB's lock is not an flock.
func lockFree(string, time.Duration) bool { return true }
