package harness

import (
	"testing"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadyWantsAScrapeSinceEveryContainerAnswers: Prometheus starts before
// the reference service's containers, so a scrape listed when they all
// answer may have found the service down; only a newer one counts.
func TestReadyWantsAScrapeSinceEveryContainerAnswers(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	target := func(url string, last time.Time) v1.ActiveTarget {
		return v1.ActiveTarget{ScrapeURL: url, LastScrape: last}
	}
	const node, prom, am, genesis = "http://node:9100/metrics", "http://localhost:9090/metrics", "http://alertmanager:9093/metrics", "http://genesis:8080/metrics"
	before := []v1.ActiveTarget{target(node, t0), target(prom, t0), target(am, time.Time{}), target(genesis, t0)}

	err := scrapedSince(before, []v1.ActiveTarget{target(node, t0.Add(2*time.Second)), target(prom, t0.Add(2*time.Second)),
		target(am, t0.Add(time.Second)), target(genesis, t0)})
	require.Error(t, err, "genesis's last scrape is the one listed when the containers answered")
	assert.Contains(t, err.Error(), genesis)

	err = scrapedSince(before, []v1.ActiveTarget{target(node, t0.Add(2*time.Second)), target(prom, t0.Add(2*time.Second)),
		target(am, time.Time{}), target(genesis, t0.Add(2*time.Second))})
	require.Error(t, err, "alertmanager never scraped")
	assert.Contains(t, err.Error(), am)

	err = scrapedSince(nil, []v1.ActiveTarget{target(node, t0)})
	require.Error(t, err, "a Prometheus with one target has not loaded its configuration")

	assert.NoError(t, scrapedSince(before, []v1.ActiveTarget{target(node, t0.Add(2*time.Second)), target(prom, t0.Add(2*time.Second)),
		target(am, t0.Add(time.Second)), target(genesis, t0.Add(2*time.Second))}))
	assert.NoError(t, scrapedSince(nil, []v1.ActiveTarget{target(node, t0), target(prom, t0), target(am, t0)}),
		"with no list taken when the containers answered (Prometheus not up yet), any scrape is after")
}
