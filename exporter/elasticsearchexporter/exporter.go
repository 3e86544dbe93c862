// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package elasticsearchexporter // import "github.com/footfall-analytics/footfall/exporter/elasticsearchexporter"

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esapi"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/footfall-analytics/footfall/exporter/elasticsearchexporter/internal/jsonwriter"
	"github.com/footfall-analytics/footfall/exporter/elasticsearchexporter/internal/metadata"
	"github.com/footfall-analytics/footfall/internal/attr"
)

type esExporter struct {
	cfg       *Config
	settings  exporter.Settings
	telemetry *metadata.TelemetryBuilder
	client    *elasticsearch.Client
	// templatesInstalled is set once the templates and policy are in place;
	// until then every push tries again first.
	templatesInstalled atomic.Bool
}

func newExporter(cfg *Config, set exporter.Settings) (*esExporter, error) {
	telemetry, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	return &esExporter{cfg: cfg, settings: set, telemetry: telemetry}, nil
}

func (e *esExporter) start(ctx context.Context, host component.Host) error {
	httpClient, err := e.cfg.ToClient(ctx, host.GetExtensions(), e.settings.TelemetrySettings)
	if err != nil {
		return err
	}
	if !e.cfg.hasCredentials() {
		// config/processing-elasticsearch.yaml reads the key from the
		// environment: unset, it is empty, and Elasticsearch may then
		// refuse every request (401) or, worse, accept them unauthenticated.
		e.settings.Logger.Warn("Elasticsearch requests go without authentication: api_key, user and auth are all empty (config/processing-elasticsearch.yaml reads FOOTFALL_ES_API_KEY)")
	}
	a := e.cfg.Authentication
	client, err := elasticsearch.NewClient(elasticsearch.Config{
		Addresses: e.cfg.endpoints(),
		CloudID:   e.cfg.CloudID,
		APIKey:    string(a.APIKey),
		Username:  a.User,
		Password:  string(a.Password),
		// TLS, headers, compression, the proxy and an authenticator
		// extension are the HTTP client's.
		Transport: httpClient.Transport,
		// exporterhelper retries with backoff; the client must not retry on its own.
		DisableRetry: true,
	})
	if err != nil {
		return err
	}
	e.client = client
	if e.cfg.Templates.Install {
		if err := e.installTemplates(ctx); err != nil {
			// Elasticsearch may be down at start: the first push tries again.
			e.settings.Logger.Warn("Could not install index templates and ILM policy yet; retrying before the first bulk request", zap.Error(err))
		}
	}
	return nil
}

func (e *esExporter) shutdown(context.Context) error {
	e.telemetry.Shutdown()
	return nil
}

// pushLogs stores every event and session.end record. It returns nil only
// when every document was stored (or was already: a 409) or dead-lettered.
// What needs another try (429, 5xx, a request that failed) comes back as a
// consumererror.Logs holding only those records, so that the retry resends
// them alone, not the whole batch.
func (e *esExporter) pushLogs(ctx context.Context, ld plog.Logs) error {
	if e.cfg.Templates.Install && !e.templatesInstalled.Load() {
		if err := e.installTemplates(ctx); err != nil {
			return fmt.Errorf("install index templates: %w", err)
		}
	}
	items, skipped := e.encode(ld)
	for reason, n := range skipped {
		e.count(ctx, "skipped", reason, n)
	}
	again := e.store(ctx, items)
	if len(again.items) == 0 {
		return again.dropped
	}
	if again.dropped != nil {
		// The documents to send again must not be dropped with these: the
		// retryable error wins, and these are only logged.
		e.settings.Logger.Error("Documents dropped for good", zap.Error(again.dropped))
	}
	return consumererror.NewLogs(fmt.Errorf("%d of %d documents to send again: %w", len(again.items), len(items), again.err), recordsOf(ld, again.items))
}

// docBytesGuess is about how many bytes a document takes: the buffer for a
// push's documents starts at that much per record.
const docBytesGuess = 1024

// encode writes the documents of ld into one buffer, and counts the
// records that are not stored by reason.
func (e *esExporter) encode(ld plog.Logs) ([]bulkItem, map[string]int) {
	items := make([]bulkItem, 0, ld.LogRecordCount())
	var skipped map[string]int
	w := jsonwriter.Writer{Buf: make([]byte, 0, docBytesGuess*ld.LogRecordCount())}
	var f fields
	ends := make([]int, 0, ld.LogRecordCount())
	for i, rl := range ld.ResourceLogs().All() {
		res := rl.Resource().Attributes()
		for j, sl := range rl.ScopeLogs().All() {
			for k, lr := range sl.LogRecords().All() {
				start := len(w.Buf)
				kind, id, reason := encodeDocument(&w, &f, sl.Scope(), res, lr)
				if reason != "" {
					w.Buf = w.Buf[:start]
					if skipped == nil {
						skipped = map[string]int{}
					}
					skipped[reason]++
					continue
				}
				index := e.cfg.EventsIndex
				if kind == sessionDoc {
					index = e.cfg.SessionsIndex
				}
				items = append(items, bulkItem{index: index, id: id, src: recordAt{i, j, k}})
				ends = append(ends, len(w.Buf))
			}
		}
	}
	// The buffer has grown in place or moved: the documents are cut from
	// where it ended up.
	start := 0
	for n := range items {
		items[n].doc = w.Buf[start:ends[n]:ends[n]]
		start = ends[n]
	}
	return items, skipped
}

// recordAt is where a document's record is in the batch.
type recordAt struct{ rl, sl, lr int }

// bulkItem is one document to create, and the record it came from.
type bulkItem struct {
	index, id string
	doc       []byte
	src       recordAt
}

// retry is what bulk requests left to do: the items to send again, with
// the retryable causes in err, and the permanent errors of documents
// dropped for good (already counted).
type retry struct {
	items   []bulkItem
	err     error
	dropped error
}

// and joins two outcomes.
func (r retry) and(o retry) retry {
	return retry{items: append(r.items, o.items...), err: errors.Join(r.err, o.err), dropped: errors.Join(r.dropped, o.dropped)}
}

// recordsOf copies the records of items out of ld, in their resources and
// scopes.
func recordsOf(ld plog.Logs, items []bulkItem) plog.Logs {
	wanted := make(map[recordAt]bool, len(items))
	for _, it := range items {
		wanted[it.src] = true
	}
	out := plog.NewLogs()
	for i, rl := range ld.ResourceLogs().All() {
		var outRL plog.ResourceLogs
		for j, sl := range rl.ScopeLogs().All() {
			var outSL plog.ScopeLogs
			for k, lr := range sl.LogRecords().All() {
				if !wanted[recordAt{i, j, k}] {
					continue
				}
				if outSL == (plog.ScopeLogs{}) {
					if outRL == (plog.ResourceLogs{}) {
						outRL = out.ResourceLogs().AppendEmpty()
						rl.Resource().CopyTo(outRL.Resource())
						outRL.SetSchemaUrl(rl.SchemaUrl())
					}
					outSL = outRL.ScopeLogs().AppendEmpty()
					sl.Scope().CopyTo(outSL.Scope())
					outSL.SetSchemaUrl(sl.SchemaUrl())
				}
				lr.CopyTo(outSL.LogRecords().AppendEmpty())
			}
		}
	}
	return out
}

// store sends items in bulk requests of at most flush::bytes.
func (e *esExporter) store(ctx context.Context, items []bulkItem) retry {
	var out retry
	start := 0
	size := 0
	for i, it := range items {
		n := len(it.index) + len(it.id) + len(it.doc) + 64
		if i > start && size+n > e.cfg.Flush.Bytes {
			out = out.and(e.bulk(ctx, items[start:i]))
			start, size = i, 0
		}
		size += n
	}
	if start < len(items) {
		out = out.and(e.bulk(ctx, items[start:]))
	}
	return out
}

// answer is a bulk request's status and body.
type answer struct {
	status int
	body   []byte
}

// send makes one bulk request, within the HTTP client's timeout, and reads
// the answer.
func (e *esExporter) send(ctx context.Context, body []byte, args []func(*esapi.BulkRequest)) (answer, error) {
	if e.cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.cfg.Timeout)
		defer cancel()
	}
	resp, err := e.client.Bulk(bytes.NewReader(body), append(args, e.client.Bulk.WithContext(ctx))...)
	if err != nil {
		return answer{}, fmt.Errorf("bulk request: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, fmt.Errorf("read bulk response: %w", err)
	}
	return answer{status: resp.StatusCode, body: raw}, nil
}

func (e *esExporter) bulk(ctx context.Context, items []bulkItem) retry {
	size := 0
	for _, it := range items {
		size += len(it.doc) + len(it.index) + len(it.id) + 64
	}
	body := make([]byte, 0, size)
	for _, it := range items {
		body = append(body, `{"create":{"_index":`...)
		body = jsonwriter.AppendString(body, it.index)
		body = append(body, `,"_id":`...)
		body = jsonwriter.AppendString(body, it.id)
		body = append(body, "}}\n"...)
		body = append(body, it.doc...)
		body = append(body, '\n')
	}
	var args []func(*esapi.BulkRequest)
	if e.cfg.Pipeline != "" {
		args = append(args, e.client.Bulk.WithPipeline(e.cfg.Pipeline))
	}
	resp, err := e.send(ctx, body, args)
	if err != nil {
		e.requests(ctx, "retryable")
		return retry{items: items, err: err}
	}
	raw := resp.body

	switch {
	case resp.status == http.StatusRequestEntityTooLarge:
		e.requests(ctx, "split")
		if len(items) == 1 {
			return e.deadLetter(ctx, []refused{{item: items[0], errType: "request_entity_too_large", detail: "the document alone is larger than the cluster's http.max_content_length"}})
		}
		half := len(items) / 2
		return e.bulk(ctx, items[:half]).and(e.bulk(ctx, items[half:]))
	case resp.status == http.StatusBadRequest:
		e.requests(ctx, "permanent")
		e.count(ctx, "dropped", "bulk_request_refused", len(items))
		return retry{dropped: consumererror.NewPermanent(fmt.Errorf("bulk request refused (400): %s", truncate(raw)))}
	case resp.status >= 300:
		// 429, 5xx, and also 401/403 (credentials may be fixed): retry with backoff.
		e.requests(ctx, "retryable")
		return retry{items: items, err: fmt.Errorf("bulk request answered %d: %s", resp.status, truncate(raw))}
	}
	outcomes, err := parseBulkAnswer(raw, len(items))
	if err != nil {
		e.requests(ctx, "retryable")
		return retry{items: items, err: err}
	}
	e.requests(ctx, "success")
	var again []bulkItem
	var dead []refused
	counts := map[[2]string]int{}
	for i, o := range outcomes {
		switch v := verdictOf(o.Status); v {
		case verdictRetry:
			again = append(again, items[i])
			counts[[2]string{string(v), o.errorType()}]++
		case verdictRefused:
			dead = append(dead, refused{item: items[i], errType: o.errorType(), detail: o.errorReason()})
		default:
			counts[[2]string{string(v), o.errorType()}]++
		}
	}
	for k, n := range counts {
		e.count(ctx, k[0], k[1], n)
	}
	var out retry
	if len(again) > 0 {
		out = retry{items: again, err: fmt.Errorf("%d of %d documents answered 429 or 5xx", len(again), len(items))}
	}
	if len(dead) > 0 {
		e.settings.Logger.Warn("Elasticsearch refused documents for good; they go to the dead-letter data stream",
			zap.Int("documents", len(dead)), zap.String("first_error", dead[0].errType+": "+logSafe(dead[0].detail)))
		out = out.and(e.deadLetter(ctx, dead))
	}
	return out
}

// refused is a document Elasticsearch refused for good, and why.
type refused struct {
	item            bulkItem
	errType, detail string
}

// deadLetter stores refused documents, as text with the error, in the
// dead-letter data stream; a letter to send again brings back its
// document's record. A dead letter that cannot be stored either is a
// permanent error: it is logged and counted, never retried forever.
func (e *esExporter) deadLetter(ctx context.Context, dead []refused) retry {
	if dead[0].item.index == e.cfg.DeadLetterIndex {
		for _, d := range dead {
			e.count(ctx, "dropped", d.errType, 1)
		}
		return retry{dropped: consumererror.NewPermanent(fmt.Errorf("%d dead letters refused by Elasticsearch: %s", len(dead), dead[0].detail))}
	}
	letters := make([]bulkItem, len(dead))
	for i, d := range dead {
		doc, _ := json.Marshal(map[string]any{
			"@timestamp": time.Now().UTC().Format(time.RFC3339Nano),
			"error":      map[string]string{"type": d.errType, "message": d.detail},
			"footfall":   map[string]any{"dead_letter": map[string]string{"index": d.item.index, "id": d.item.id, "document": string(d.item.doc)}},
		})
		letters[i] = bulkItem{index: e.cfg.DeadLetterIndex, id: d.item.index + ":" + d.item.id, doc: doc, src: d.item.src}
	}
	out := e.bulk(ctx, letters)
	if out.dropped == nil {
		again := make(map[string]bool, len(out.items))
		for _, it := range out.items {
			again[it.id] = true
		}
		for i, d := range dead {
			if !again[letters[i].id] {
				e.count(ctx, "dead_lettered", d.errType, 1)
			}
		}
	}
	return out
}

// logSafe is an Elasticsearch error reason fit for the collector's log:
// without the value preview Elasticsearch appends to a mapping error (a
// visitor's data; the dead-letter document keeps it, in Elasticsearch), and
// at most maxLoggedReason bytes.
func logSafe(reason string) string {
	if i := strings.Index(reason, "Preview of field's value"); i >= 0 {
		reason = strings.TrimRight(reason[:i], " .") + ". (value preview left out)"
	}
	return attr.TruncateUTF8(reason, maxLoggedReason)
}

const maxLoggedReason = 300

func truncate(b []byte) string {
	if len(b) > 512 {
		return string(b[:512]) + "…"
	}
	return string(b)
}

func (e *esExporter) count(ctx context.Context, outcome, reason string, n int) {
	e.telemetry.ExporterElasticsearchDocuments.Add(ctx, int64(n), metric.WithAttributes(
		attribute.String("outcome", outcome), attribute.String("reason", reason)))
}

func (e *esExporter) requests(ctx context.Context, outcome string) {
	e.telemetry.ExporterElasticsearchBulkRequests.Add(ctx, 1, metric.WithAttributes(attribute.String("outcome", outcome)))
}
