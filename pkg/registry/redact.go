package registry

import (
	"encoding/base64"
	"strings"
)

// Redact replaces whole occurrences of secret in s, and of the Basic form
// "user:secret" in base64. A match inside a longer run of token characters
// is someone else's word (a short secret can occur inside a digest by
// chance), so it is left alone.
func Redact(s, secret string) string {
	if secret == "" {
		return s
	}
	s = redactWhole(s, secret)
	for _, pre := range []string{"", "x:", "oc-registry:"} {
		b := base64.StdEncoding.EncodeToString([]byte(pre + secret))
		s = strings.ReplaceAll(s, b, "<redacted>")
	}
	return s
}

func redactWhole(s, secret string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, secret)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		end := i + len(secret)
		whole := (i == 0 || !tokenChar(s[i-1])) && (end == len(s) || !tokenChar(s[end]))
		b.WriteString(s[:i])
		if whole {
			b.WriteString("<redacted>")
		} else {
			b.WriteString(secret)
		}
		s = s[end:]
	}
}

// tokenChar is a character that can be part of a bearer token (RFC 6750
// b64token) or a JWT.
func tokenChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		strings.IndexByte("-._~+/=", c) >= 0
}
