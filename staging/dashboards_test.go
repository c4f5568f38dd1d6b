//go:build !critical

package staging

import "testing"

// TestDashboards: the 48-hour dashboard shows data — every panel query parses and answers from Prometheus — and, where Grafana runs, its datasource is healthy, the dashboard is the provisioned one, and its panels get their data through Grafana.
func TestDashboards(t *testing.T) { run(t) }
