//go:build !critical

package smoke

import "github.com/smokestack-dev/smokestack/checks"

func init() { level = max(level, checks.Normal) }
