// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package elasticsearchexporter // import "github.com/footfall-analytics/footfall/exporter/elasticsearchexporter"

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/elastic/go-elasticsearch/v8/esapi"
)

const ilmPolicy = "footfall"

// policy rolls backing indices over daily (or at 50 GB per primary shard)
// and deletes them retention days after rollover.
func (cfg *Config) policy() map[string]any {
	return map[string]any{"policy": map[string]any{"phases": map[string]any{
		"hot":    map[string]any{"actions": map[string]any{"rollover": map[string]any{"max_age": "1d", "max_primary_shard_size": "50gb"}}},
		"delete": map[string]any{"min_age": fmt.Sprintf("%dd", cfg.Templates.RetentionDays), "actions": map[string]any{"delete": map[string]any{}}},
	}}}
}

func keyword() map[string]any { return map[string]any{"type": "keyword", "ignore_above": 1024} }
func date() map[string]any    { return map[string]any{"type": "date_nanos"} }
func long() map[string]any    { return map[string]any{"type": "long"} }
func boolean() map[string]any { return map[string]any{"type": "boolean"} }
func double() map[string]any  { return map[string]any{"type": "double"} }

func props(fields map[string]any) map[string]any { return map[string]any{"properties": fields} }

func keywords(names ...string) map[string]any {
	out := map[string]any{}
	for _, n := range names {
		out[n] = keyword()
	}
	return out
}

// commonFields are the fields events and sessions share.
func commonFields() map[string]any {
	return map[string]any{
		"@timestamp": date(),
		"event":      props(keywords("id", "action", "kind", "dataset")),
		"source":     props(map[string]any{"geo": props(keywords("country_iso_code", "region_iso_code", "city_name"))}),
		"footfall": props(map[string]any{
			"site_id": keyword(), "visitor_id": keyword(), "visitor_id_source": keyword(), "device_type": keyword(),
			"bot_reason": keyword(),
			"referrer":   props(keywords("class", "source", "host")),
			"utm":        props(keywords("source", "medium", "campaign", "term", "content")),
		}),
	}
}

// eventMappings map every field of docs/events.md as toDocument writes it.
func eventMappings() map[string]any {
	fields := commonFields()
	fields["event"].(map[string]any)["properties"].(map[string]any)["created"] = date()
	fields["url"] = props(map[string]any{"full": map[string]any{"type": "wildcard"}, "path": keyword(), "domain": keyword()})
	fields["user_agent"] = props(map[string]any{
		"original": keyword(), "name": keyword(), "version": keyword(),
		"os": props(keywords("name", "version")), "synthetic": props(keywords("type")),
	})
	fields["session"] = props(map[string]any{"id": keyword(), "previous_id": keyword(), "sequence": long()})
	ff := fields["footfall"].(map[string]any)["properties"].(map[string]any)
	ff["referrer_url"] = map[string]any{"type": "wildcard"}
	ff["click"] = props(keywords("element"))
	ff["goal"] = props(map[string]any{"value": double(), "currency": keyword()})
	ff["engagement"] = props(map[string]any{"time_ms": long(), "scroll_depth": long()})
	ff["link"] = props(keywords("url"))
	ff["web_vital"] = props(map[string]any{"name": keyword(), "value": double()})
	ff["click_id"] = props(keywords("type", "value"))
	ff["late"] = boolean()
	ff["clock_skewed"] = boolean()
	ff["client_time_unix_nano"] = long()
	ff["event_id_generated"] = boolean()
	ff["ingest_format"] = keyword()
	ff["properties"] = map[string]any{"type": "flattened"}
	return map[string]any{"dynamic": "false", "properties": fields}
}

func sessionMappings() map[string]any {
	fields := commonFields()
	fields["session"] = props(map[string]any{
		"id": keyword(), "start": date(), "end": date(), "duration_ms": long(), "page_views": long(), "events": long(),
		"bounce": boolean(), "returning": boolean(), "entry_page": keyword(), "exit_page": keyword(),
		"end_reason": keyword(), "goals": keyword(),
		"revenue": map[string]any{"type": "nested", "properties": map[string]any{"currency": keyword(), "value": double()}},
	})
	return map[string]any{"dynamic": "false", "properties": fields}
}

func deadLetterMappings() map[string]any {
	return map[string]any{"dynamic": "false", "properties": map[string]any{
		"@timestamp": date(),
		"error":      props(map[string]any{"type": keyword(), "message": map[string]any{"type": "text"}}),
		"footfall": props(map[string]any{"dead_letter": props(map[string]any{
			"index": keyword(), "id": keyword(), "document": map[string]any{"type": "text", "index": false},
		})}),
	}}
}

// templates are the composable index templates, by name.
func (cfg *Config) templates() map[string]map[string]any {
	template := func(index string, mappings map[string]any) map[string]any {
		pattern := index
		if i := strings.LastIndex(index, "-"); i > 0 {
			pattern = index[:i] + "-*" // every namespace of the data stream
		}
		return map[string]any{
			"index_patterns": []string{pattern},
			"data_stream":    map[string]any{},
			"priority":       500,
			"template": map[string]any{
				"settings": map[string]any{
					"index.lifecycle.name": ilmPolicy,
					// A value of the wrong type for a number, date or
					// boolean field is left unindexed (kept in _source)
					// instead of refusing the whole document.
					"index.mapping.ignore_malformed": true,
				},
				"mappings": mappings,
			},
			"_meta": map[string]any{"managed_by": "footfall"},
		}
	}
	return map[string]map[string]any{
		"footfall-events":     template(cfg.EventsIndex, eventMappings()),
		"footfall-sessions":   template(cfg.SessionsIndex, sessionMappings()),
		"footfall-deadletter": template(cfg.DeadLetterIndex, deadLetterMappings()),
	}
}

// installTemplates puts the ILM policy, then the templates (which name it).
func (e *esExporter) installTemplates(ctx context.Context) error {
	policy, _ := json.Marshal(e.cfg.policy())
	resp, err := e.client.ILM.PutLifecycle(ilmPolicy, e.client.ILM.PutLifecycle.WithBody(bytes.NewReader(policy)), e.client.ILM.PutLifecycle.WithContext(ctx))
	if err := checked("ILM policy", resp, err); err != nil {
		return err
	}
	for name, t := range e.cfg.templates() {
		body, _ := json.Marshal(t)
		resp, err := e.client.Indices.PutIndexTemplate(name, bytes.NewReader(body), e.client.Indices.PutIndexTemplate.WithContext(ctx))
		if err := checked("index template "+name, resp, err); err != nil {
			return err
		}
	}
	e.templatesInstalled.Store(true)
	return nil
}

func checked(what string, resp *esapi.Response, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer resp.Body.Close()
	if resp.IsError() {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s: %s: %s", what, resp.Status(), body)
	}
	return nil
}
