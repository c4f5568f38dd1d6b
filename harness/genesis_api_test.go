package harness

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestResilienceSettingsOf(t *testing.T) {
	r := &Response{Body: []byte(`{"circuit_breakers":{},"config":{"open_timeout_seconds":3,"failure_threshold":5}}`)}
	cfg := ResilienceSettingsOf(r)
	require.NotNil(t, cfg.OpenTimeoutSeconds)
	assert.Equal(t, 3.0, *cfg.OpenTimeoutSeconds)
	assert.Equal(t, 5, *cfg.FailureThreshold)
	r = &Response{Body: []byte(`{"data":{"config":{"open_timeout_seconds":60}}}`)}
	assert.Equal(t, 60.0, *ResilienceSettingsOf(r).OpenTimeoutSeconds)
	assert.Nil(t, ResilienceSettingsOf(&Response{Body: []byte(`{"circuit_breakers":{}}`)}).OpenTimeoutSeconds)
	assert.Nil(t, ResilienceSettingsOf(&Response{Body: []byte(`not json`)}).OpenTimeoutSeconds)
	assert.Nil(t, ResilienceSettingsOf(nil).OpenTimeoutSeconds)
}
