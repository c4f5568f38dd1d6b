package harness

import (
	"net/url"
	"regexp"
)

// credentialPatterns match credentials that a broken target might echo back.
// Evidence quoted in failure messages and reports passes through them, so a
// check that catches a leak does not leak it again into CI logs.
var credentialPatterns = []*regexp.Regexp{
	regexp.MustCompile(`sk-(proj-)?[A-Za-z0-9_\-]{16,}`),
	regexp.MustCompile(`AKIA[0-9A-Z]{16}`),
	regexp.MustCompile(`(?i)bearer\s+[A-Za-z0-9._\-~+/]{8,}=*`),
	regexp.MustCompile(`eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}`),
	regexp.MustCompile(`(?i)(password|passwd|pwd|secret|api[_-]?key|token)(["']?\s*[:=]\s*["']?)[^\s"',&}]{3,}`),
	regexp.MustCompile(`(?i)://([^:/@\s]+):[^@\s/]+@`),
	regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)`),
}

var credentialReplacements = []string{
	"[REDACTED_API_KEY]", "[REDACTED_AWS_KEY]", "Bearer [REDACTED]", "[REDACTED_JWT]",
	"$1$2[REDACTED]", "://$1:[REDACTED]@", "[REDACTED_PRIVATE_KEY]",
}

// RedactText replaces credentials in s by markers.
func RedactText(s string) string {
	for i, re := range credentialPatterns {
		s = re.ReplaceAllString(s, credentialReplacements[i])
	}
	return s
}

// RedactURL hides a password embedded in a URL (http://user:pass@host).
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "REDACTED")
	}
	return u.String()
}
