// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package confkeys

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
)

type config struct {
	Endpoint string `mapstructure:"endpoint"`
}

var refused = []Refused{
	{Key: "num_workers", Verdict: "is not supported", Instead: "use sending_queue::num_consumers"},
	{Key: "auth::user", Verdict: "moved", Instead: "user is at the top level"},
}

// Every refused key is named with its way out, nested ones too; a config
// without them decodes.
func TestUnmarshal(t *testing.T) {
	var cfg config
	err := Unmarshal(confmap.NewFromStringMap(map[string]any{
		"endpoint": "http://es:9200", "num_workers": 4, "auth": map[string]any{"user": "u"},
	}), &cfg, refused)
	require.Error(t, err)
	assert.ErrorContains(t, err, "num_workers is not supported: use sending_queue::num_consumers")
	assert.ErrorContains(t, err, "auth::user moved: user is at the top level")
	assert.Empty(t, cfg.Endpoint, "nothing is decoded from a refused config")

	require.NoError(t, Unmarshal(confmap.NewFromStringMap(map[string]any{"endpoint": "http://es:9200"}), &cfg, refused))
	assert.Equal(t, "http://es:9200", cfg.Endpoint)
}
