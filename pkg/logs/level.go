package logs

import (
	"fmt"
	"strings"
)

// Level is a logrus level, ordered so that a threshold is a comparison.
// LevelUnknown sorts below every real level but never fails a threshold:
// see Filter.
type Level int8

// The logrus levels, lowest first.
const (
	LevelUnknown Level = iota
	LevelTrace
	LevelDebug
	LevelInfo
	LevelWarn
	LevelError
	LevelFatal
	LevelPanic
)

var levelNames = [...]string{"unknown", "trace", "debug", "info", "warning", "error", "fatal", "panic"}

// String returns the name logrus writes for the level ("warning", not "warn").
func (l Level) String() string {
	if l < 0 || int(l) >= len(levelNames) {
		return "unknown"
	}
	return levelNames[l]
}

// ParseLevel reads a level as a user types it: case-insensitive, "warn" and
// "warning" both accepted.
func ParseLevel(s string) (Level, error) {
	if l := levelOf(strings.ToLower(strings.TrimSpace(s))); l != LevelUnknown {
		return l, nil
	}
	return LevelUnknown, fmt.Errorf("unknown level %q: want trace, debug, info, warn, error, fatal or panic", s)
}

// levelOf maps a level value as found in a line. Exact lower-case names come
// first because that is what logrus writes, and this runs once per line.
func levelOf(s string) Level {
	switch s {
	case "info":
		return LevelInfo
	case "warning", "warn":
		return LevelWarn
	case "error":
		return LevelError
	case "debug":
		return LevelDebug
	case "trace":
		return LevelTrace
	case "fatal":
		return LevelFatal
	case "panic":
		return LevelPanic
	}
	for l := LevelTrace; l <= LevelPanic; l++ {
		if strings.EqualFold(s, levelNames[l]) {
			return l
		}
	}
	if strings.EqualFold(s, "warn") {
		return LevelWarn
	}
	return LevelUnknown
}
