package harness

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRedactText(t *testing.T) {
	for _, secret := range []string{
		"sk-proj-abcdefghijklmnopqrstuvwx", "AKIAIOSFODNN7EXAMPLE", "Bearer abcdefghijklmnop",
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
		"password=supersecret", "postgres://admin:s3cret@db:5432/x",
		"-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----",
	} {
		got := RedactText("before " + secret + " after")
		assert.Contains(t, got, "REDACTED", secret)
		for _, part := range []string{"abcdefghijklmnop", "IOSFODNN7", "supersecret", "s3cret", "MIIEow", "dozjgNry"} {
			if strings.Contains(secret, part) {
				assert.NotContains(t, got, part)
			}
		}
	}
	assert.Equal(t, "plain text stays", RedactText("plain text stays"))
}
