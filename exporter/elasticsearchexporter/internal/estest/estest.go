// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package estest is a test server that answers the parts of the
// Elasticsearch REST API the exporter uses (bulk, index templates, ILM
// policies) as Elasticsearch 8 documents them: bulk bodies are parsed and
// checked, and every item gets its own result, with the status codes and
// error types Elasticsearch uses.
package estest // import "github.com/footfall-analytics/footfall/exporter/elasticsearchexporter/internal/estest"

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
)

// Fault is an item's forced answer: a status and an error type.
type Fault struct {
	Status int
	Type   string
}

// Server is a fake Elasticsearch.
type Server struct {
	*httptest.Server

	mu        sync.Mutex
	docs      map[string]map[string]map[string]any // index -> id -> document
	templates map[string]map[string]any
	policies  map[string]map[string]any
	requests  int
	items     int
	// header is the last bulk request's header.
	header http.Header
	// ItemFault, when set, may force an item's answer; a zero Fault means normal.
	ItemFault func(index, id string, attempt int) Fault
	attempts  map[string]int
	// RequestFault, when set, may answer a whole bulk request with a status
	// (429, 413, 503) given its number of items; 0 means normal.
	RequestFault func(items int) int
	// Errors records what the server found wrong in requests (a test fails on any).
	Errors []string
	// Recorded are answers of a real product (testdata/responses), given
	// as they are to the next bulk requests, one each, in order.
	Recorded [][]byte
	// Product is the X-Elastic-Product header answers carry; NewServer sets
	// "Elasticsearch", and "" stands for OpenSearch, which sends none.
	Product string
	// Lean, for benchmarks of the exporter, checks every line as before
	// (framing, the action's index and id, a document that is valid JSON
	// with an @timestamp, no id twice) but keeps ids instead of decoded
	// documents and writes its answer without maps: the server's own
	// decoding would otherwise be most of what a benchmark measures.
	Lean bool
	ids  map[string]struct{}
}

// NewServer starts a server; Close stops it.
func NewServer() *Server {
	s := &Server{
		docs: map[string]map[string]map[string]any{}, templates: map[string]map[string]any{},
		policies: map[string]map[string]any{}, attempts: map[string]int{},
		Product: "Elasticsearch", ids: map[string]struct{}{},
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Docs returns a copy of an index's documents by id.
func (s *Server) Docs(index string) map[string]map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]map[string]any{}
	for id, d := range s.docs[index] {
		out[id] = d
	}
	return out
}

// Template returns an installed index template.
func (s *Server) Template(name string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.templates[name]
}

// Policy returns an installed ILM policy.
func (s *Server) Policy(name string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.policies[name]
}

// BulkRequests is how many bulk requests arrived.
func (s *Server) BulkRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// LastHeader is the last bulk request's header.
func (s *Server) LastHeader() http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.header.Clone()
}

// BulkItems is how many documents bulk requests carried in all.
func (s *Server) BulkItems() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.items
}

// Problems returns what the server found wrong in requests.
func (s *Server) Problems() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.Errors...)
}

func (s *Server) problem(format string, args ...any) {
	s.Errors = append(s.Errors, fmt.Sprintf(format, args...))
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// The official client refuses answers without this header.
	if s.Product != "" {
		w.Header().Set("X-Elastic-Product", s.Product)
	}
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/":
		_, _ = io.WriteString(w, `{"name":"estest","cluster_name":"estest","version":{"number":"8.19.0","build_flavor":"default"},"tagline":"You Know, for Search"}`)
	case r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/_ilm/policy/"):
		s.putJSON(w, r, s.policies, strings.TrimPrefix(r.URL.Path, "/_ilm/policy/"), func(body map[string]any) string {
			if _, ok := dig(body, "policy", "phases").(map[string]any); !ok {
				return "policy.phases is missing"
			}
			return ""
		})
	case r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/_index_template/"):
		s.putJSON(w, r, s.templates, strings.TrimPrefix(r.URL.Path, "/_index_template/"), func(body map[string]any) string {
			patterns, _ := body["index_patterns"].([]any)
			switch {
			case len(patterns) == 0:
				return "index_patterns is missing"
			case body["data_stream"] == nil:
				return "data_stream is missing: create needs a data stream"
			case dig(body, "template", "mappings", "properties", "@timestamp") == nil:
				return "template.mappings has no @timestamp"
			}
			return ""
		})
	case (r.Method == http.MethodPost || r.Method == http.MethodPut) && r.URL.Path == "/_bulk":
		s.bulk(w, r)
	default:
		w.WriteHeader(http.StatusNotFound)
		_ = json.NewEncoder(w).Encode(map[string]any{
			"error":  map[string]string{"type": "unsupported_operation", "reason": "estest does not serve " + r.Method + " " + r.URL.Path},
			"status": http.StatusNotFound,
		})
	}
}

func (s *Server) putJSON(w http.ResponseWriter, r *http.Request, into map[string]map[string]any, name string, check func(map[string]any) string) {
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		s.problem("%s: body is not JSON: %v", r.URL.Path, err)
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":{"type":"parse_exception","reason":"request body is required"},"status":400}`)
		return
	}
	if msg := check(body); msg != "" {
		s.problem("%s: %s", r.URL.Path, msg)
		w.WriteHeader(http.StatusBadRequest)
		_, _ = fmt.Fprintf(w, `{"error":{"type":"illegal_argument_exception","reason":%q},"status":400}`, msg)
		return
	}
	into[name] = body
	_, _ = io.WriteString(w, `{"acknowledged":true}`)
}

func dig(m map[string]any, path ...string) any {
	var cur any = m
	for _, p := range path {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = obj[p]
	}
	return cur
}

type action struct {
	Create *struct {
		Index string `json:"_index"`
		ID    string `json:"_id"`
	} `json:"create"`
}

func (s *Server) bulk(w http.ResponseWriter, r *http.Request) {
	s.requests++
	s.header = r.Header.Clone()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-ndjson") && !strings.HasPrefix(ct, "application/json") {
		s.problem("bulk Content-Type is %q", ct)
	}
	body, _ := io.ReadAll(r.Body)
	if len(body) == 0 || body[len(body)-1] != '\n' {
		s.problem("bulk body must end with a newline")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":{"type":"illegal_argument_exception","reason":"The bulk request must be terminated by a newline [\\n]"},"status":400}`)
		return
	}
	lines := bytes.Split(body[:len(body)-1], []byte{'\n'})
	if len(lines)%2 != 0 {
		s.problem("bulk body has %d lines: actions and documents must pair", len(lines))
	}
	if len(s.Recorded) > 0 {
		s.items += len(lines) / 2
		_, _ = w.Write(s.Recorded[0])
		s.Recorded = s.Recorded[1:]
		return
	}
	if s.RequestFault != nil {
		if status := s.RequestFault(len(lines) / 2); status != 0 {
			w.WriteHeader(status)
			_, _ = fmt.Fprintf(w, `{"error":{"type":"es_rejected_execution_exception","reason":"forced %d"},"status":%d}`, status, status)
			return
		}
	}
	if s.Lean {
		s.leanBulk(w, lines)
		return
	}
	items := make([]map[string]any, 0, len(lines)/2)
	anyError := false
	for i := 0; i+1 < len(lines); i += 2 {
		var a action
		if err := json.Unmarshal(lines[i], &a); err != nil || a.Create == nil || a.Create.Index == "" || a.Create.ID == "" {
			s.problem("bulk action %q must be create with _index and _id", lines[i])
			continue
		}
		index, id := a.Create.Index, a.Create.ID
		s.items++
		var doc map[string]any
		result := map[string]any{"_index": index, "_id": id}
		s.attempts[index+"/"+id]++
		fault := Fault{}
		if s.ItemFault != nil {
			fault = s.ItemFault(index, id, s.attempts[index+"/"+id])
		}
		switch {
		case json.Unmarshal(lines[i+1], &doc) != nil:
			fault = Fault{Status: http.StatusBadRequest, Type: "document_parsing_exception"}
		case doc["@timestamp"] == nil && fault.Status == 0:
			fault = Fault{Status: http.StatusBadRequest, Type: "document_parsing_exception"}
		case fault.Status == 0 && s.docs[index][id] != nil:
			fault = Fault{Status: http.StatusConflict, Type: "version_conflict_engine_exception"}
		}
		if fault.Status != 0 {
			anyError = true
			result["status"] = fault.Status
			result["error"] = map[string]any{
				"type": fault.Type, "reason": fmt.Sprintf("[%s]: %s", id, fault.Type),
				"index": index, "shard": "0", "index_uuid": "estest",
			}
		} else {
			if s.docs[index] == nil {
				s.docs[index] = map[string]map[string]any{}
			}
			s.docs[index][id] = doc
			result["status"] = http.StatusCreated
			result["result"] = "created"
			result["_version"] = 1
			result["_seq_no"] = len(s.docs[index]) - 1
			result["_primary_term"] = 1
			result["_shards"] = map[string]int{"total": 1, "successful": 1, "failed": 0}
		}
		items = append(items, map[string]any{"create": result})
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"took": 1, "errors": anyError, "items": items})
}

// leanBulk answers as bulk does, with each document checked but not kept.
func (s *Server) leanBulk(w http.ResponseWriter, lines [][]byte) {
	items := make([]byte, 0, 128*len(lines)/2)
	anyError := false
	for i := 0; i+1 < len(lines); i += 2 {
		var a action
		if err := json.Unmarshal(lines[i], &a); err != nil || a.Create == nil || a.Create.Index == "" || a.Create.ID == "" {
			s.problem("bulk action %q must be create with _index and _id", lines[i])
			continue
		}
		s.items++
		key := a.Create.Index + "/" + a.Create.ID
		if len(items) > 0 {
			items = append(items, ',')
		}
		status, errType := http.StatusCreated, ""
		switch _, seen := s.ids[key]; {
		case !json.Valid(lines[i+1]) || !bytes.Contains(lines[i+1], []byte(`"@timestamp":`)):
			status, errType = http.StatusBadRequest, "document_parsing_exception"
		case seen:
			status, errType = http.StatusConflict, "version_conflict_engine_exception"
		default:
			s.ids[key] = struct{}{}
		}
		index, _ := json.Marshal(a.Create.Index)
		id, _ := json.Marshal(a.Create.ID)
		if errType != "" {
			anyError = true
			items = fmt.Appendf(items, `{"create":{"_index":%s,"_id":%s,"status":%d,"error":{"type":%q,"reason":"%s"}}}`, index, id, status, errType, errType)
			continue
		}
		items = fmt.Appendf(items, `{"create":{"_index":%s,"_id":%s,"status":201,"result":"created","_version":1}}`, index, id)
	}
	_, _ = fmt.Fprintf(w, `{"took":1,"errors":%t,"items":[%s]}`+"\n", anyError, items)
}
