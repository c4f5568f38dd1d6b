//go:build !critical

package smoke

import "github.com/smokestack-dev/smokestack/checks"

func init() { basicOrchestrationNormal = checks.BasicOrchestration }
