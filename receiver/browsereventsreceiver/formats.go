// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package browsereventsreceiver // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver"

import (
	"bytes"
	"encoding/json"
	"errors"
	"mime"
	"net/http"

	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/dropin"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/intake"
)

// ingestFormat is what differs between the payloads the receiver reads: how
// a body is decoded and how the client is answered. Everything between (rate
// limits, sites and origins, limits, privacy, the pipeline) is shared.
type ingestFormat interface {
	name() dropin.Format
	// transport names the format in the receiver's obsreport metrics.
	transport() string
	// contentTypeError refuses a Content-Type the format cannot read.
	contentTypeError() error
	// maxBodyBytes is the format's own bound on a body, below
	// max_request_body_size; 0 when it has none.
	maxBodyBytes() int64
	// decode reads a body of at most maxEvents items, or refuses it with
	// a *dropin.TooManyEventsError before mapping any.
	decode(body []byte, maxEvents int) (dropin.Decoded, error)
	writeAccepted(w http.ResponseWriter, rejected int, message string)
	writeStatus(w http.ResponseWriter, status int, message string)
}

// otlpFormat is OTLP/HTTP logs, JSON or protobuf, answered as OTLP prescribes.
type otlpFormat struct {
	enc intake.Encoding
	err error
}

func newOTLPFormat(req *http.Request) otlpFormat {
	enc, err := intake.EncodingOf(req.Header.Get("Content-Type"))
	return otlpFormat{enc: enc, err: err}
}

func (otlpFormat) name() dropin.Format       { return dropin.FormatOTLP }
func (f otlpFormat) contentTypeError() error { return f.err }
func (f otlpFormat) transport() string       { return formatName(f.enc) }
func (otlpFormat) maxBodyBytes() int64       { return 0 }
func (f otlpFormat) writeStatus(w http.ResponseWriter, status int, message string) {
	writeStatus(w, f.enc, status, message)
}

// decode reads OTLP, and turns the records of Faro's OTLP transport into
// the events its native payload gives.
func (f otlpFormat) decode(body []byte, maxEvents int) (dropin.Decoded, error) {
	if intake.MoreRecordsThan(f.enc, body, maxEvents) {
		return dropin.Decoded{}, &dropin.TooManyEventsError{Limit: maxEvents}
	}
	logs, err := intake.Decode(f.enc, body)
	if err != nil {
		return dropin.Decoded{}, err
	}
	if err := dropin.CheckItems(logs.LogRecordCount(), maxEvents); err != nil {
		return dropin.Decoded{}, err
	}
	return dropin.MapOTLP(logs), nil
}

func (f otlpFormat) writeAccepted(w http.ResponseWriter, rejected int, message string) {
	body, err := fitMessage(message, func(m string) ([]byte, error) { return intake.MarshalResponse(f.enc, rejected, m) })
	if err != nil {
		writeStatus(w, f.enc, http.StatusInternalServerError, "the response could not be encoded")
		return
	}
	w.Header().Set("Content-Type", f.enc.ContentType())
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body) // #nosec G705 -- an OTLP payload under an explicit, non-HTML Content-Type
}

// jsonFormat is a third-party JSON payload (Faro, Plausible): accepted with
// 202 as their own servers answer, refused with {"error": message}.
type jsonFormat struct {
	format  dropin.Format
	read    func([]byte, int) (dropin.Decoded, error)
	maxBody int64
	err     error
}

var errNotJSON = errors.New("unsupported media type, supported: [application/json, text/plain]")

func newJSONFormat(req *http.Request, format dropin.Format, read func([]byte, int) (dropin.Decoded, error), maxBody int64) jsonFormat {
	f := jsonFormat{format: format, read: read, maxBody: maxBody}
	mediaType, _, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if err != nil || (mediaType != "application/json" && mediaType != "text/plain") {
		f.err = errNotJSON
	}
	return f
}

func (f jsonFormat) name() dropin.Format     { return f.format }
func (jsonFormat) transport() string         { return "json" }
func (f jsonFormat) contentTypeError() error { return f.err }
func (f jsonFormat) maxBodyBytes() int64     { return f.maxBody }
func (f jsonFormat) decode(body []byte, maxEvents int) (dropin.Decoded, error) {
	return f.read(body, maxEvents)
}

// writeAccepted answers 202; events refused within the request are named,
// as the OTLP partial success does.
func (f jsonFormat) writeAccepted(w http.ResponseWriter, rejected int, message string) {
	body, _ := fitMessage(message, func(m string) ([]byte, error) {
		answer := map[string]any{"status": "ok"}
		if rejected > 0 {
			answer["rejected"], answer["error"] = rejected, m
		}
		return encodeJSON(answer)
	})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write(body) // #nosec G705 -- JSON under an explicit, non-HTML Content-Type
}

func (f jsonFormat) writeStatus(w http.ResponseWriter, status int, message string) {
	body, _ := fitMessage(message, func(m string) ([]byte, error) { return encodeJSON(map[string]string{"error": m}) })
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body) // #nosec G705 -- JSON under an explicit, non-HTML Content-Type
}

// encodeJSON encodes v without HTML escaping: the answers are served as
// application/json, and escaping would make each "<" a client sent six bytes.
func encodeJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	return b.Bytes(), err
}
