//go:build slow && !critical

package staging

import "github.com/smokestack-dev/smokestack/checks"

func init() { level = max(level, checks.Slow) }
