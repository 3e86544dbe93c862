// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package browsereventsreceiver

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"

	"github.com/footfall-analytics/footfall/internal/schema"
	"github.com/footfall-analytics/footfall/internal/storagetest"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/metadata"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/metadatatest"
)

var storageID = component.MustNewID("file_storage")

func storageConfig(t *testing.T) *Config {
	cfg := testConfig(t)
	cfg.Visitor.SaltSecret = ""
	id := storageID
	cfg.Visitor.Storage = &id
	return cfg
}

// visitorAfterStart starts a receiver on host, sends one page view, stops the
// receiver and returns the visitor id it assigned.
func visitorAfterStart(t *testing.T, cfg *Config, host component.Host) string {
	t.Helper()
	sink := new(consumertest.LogsSink)
	rcv, err := newReceiver(cfg, metadatatest.NewSettings(componenttest.NewTelemetry()), sink)
	require.NoError(t, err)
	rcv.now = func() time.Time { return receivedAt }
	require.NoError(t, rcv.Start(context.Background(), host))
	h := &harness{rcv: rcv, url: "http://" + rcv.boundAddr.String()}
	resp, body := h.do(t, request{contentType: "application/json", origin: siteOrigin, userAgent: chromeUA, body: pageView("example", "e1")})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	require.NoError(t, rcv.Shutdown(context.Background()))
	v, _ := sink.AllLogs()[0].ResourceLogs().At(0).Resource().Attributes().Get(schema.AttrVisitorID)
	return v.Str()
}

func TestSaltInStorageExtensionSurvivesRestart(t *testing.T) {
	ext := storagetest.NewExtension()
	host := storagetest.Host{Extensions: map[component.ID]component.Component{storageID: ext}}
	cfg := storageConfig(t)

	first := visitorAfterStart(t, cfg, host)
	assert.NotEmpty(t, ext.Snapshot(component.KindReceiver, component.NewID(metadata.Type), ""), "the salt was stored")
	assert.Equal(t, first, visitorAfterStart(t, cfg, host), "a restarted receiver gives the same visitor the same id")

	fresh := storagetest.Host{Extensions: map[component.ID]component.Component{storageID: storagetest.NewExtension()}}
	assert.NotEqual(t, first, visitorAfterStart(t, cfg, fresh), "a lost salt means new ids")
}

func TestStorageExtensionMustBeAStorageExtension(t *testing.T) {
	notStorage := storagetest.Host{Extensions: map[component.ID]component.Component{storageID: nopComponent{}}}
	rcv, err := newReceiver(storageConfig(t), metadatatest.NewSettings(componenttest.NewTelemetry()), consumertest.NewNop())
	require.NoError(t, err)
	require.ErrorContains(t, rcv.Start(context.Background(), notStorage), `extension "file_storage" is not a storage extension`)
}

type nopComponent struct{}

func (nopComponent) Start(context.Context, component.Host) error { return nil }
func (nopComponent) Shutdown(context.Context) error              { return nil }
