// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package intake turns the body of a browser's OTLP/HTTP logs request into
// checked, enriched events, and says why each refused record was refused.
package intake // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/intake"

import (
	"errors"
	"fmt"
	"mime"
	"unicode/utf8"

	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
)

// Encoding is the wire format of a request, and of its response.
type Encoding int

const (
	JSON Encoding = iota
	Protobuf
)

// ErrUnsupportedMediaType is returned for content types other than OTLP's two
// and text/plain, which navigator.sendBeacon uses to avoid a CORS preflight.
var ErrUnsupportedMediaType = errors.New("unsupported media type, supported: [application/json, application/x-protobuf, text/plain]")

// EncodingOf reads a Content-Type header.
func EncodingOf(contentType string) (Encoding, error) {
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return JSON, ErrUnsupportedMediaType
	}
	switch mediaType {
	case "application/json", "text/plain":
		return JSON, nil
	case "application/x-protobuf":
		return Protobuf, nil
	default:
		return JSON, ErrUnsupportedMediaType
	}
}

// ContentType is what the response to a request of this encoding declares.
func (e Encoding) ContentType() string {
	if e == Protobuf {
		return "application/x-protobuf"
	}
	return "application/json"
}

// Decode parses an OTLP ExportLogsServiceRequest: JSON as browsers write
// it by the decoder of this package (fastjson.go), the rest, and protobuf,
// by pdata's.
func Decode(enc Encoding, body []byte) (plog.Logs, error) {
	req := plogotlp.NewExportRequest()
	switch enc {
	case Protobuf:
		if err := req.UnmarshalProto(body); err != nil {
			return plog.Logs{}, fmt.Errorf("malformed protobuf: %w", err)
		}
	default:
		if !utf8.Valid(body) {
			return plog.Logs{}, errors.New("malformed JSON: body is not valid UTF-8")
		}
		if logs, ok := decodeJSONFast(body, derivedRoom); ok {
			return logs, nil
		}
		if err := req.UnmarshalJSON(body); err != nil {
			return plog.Logs{}, fmt.Errorf("malformed JSON: %w", err)
		}
	}
	return req.Logs(), nil
}

// MarshalResponse encodes an OTLP export response, with partial success when
// some records were rejected.
func MarshalResponse(enc Encoding, rejected int, message string) ([]byte, error) {
	resp := plogotlp.NewExportResponse()
	if rejected > 0 {
		resp.PartialSuccess().SetRejectedLogRecords(int64(rejected))
		resp.PartialSuccess().SetErrorMessage(message)
	}
	if enc == Protobuf {
		return resp.MarshalProto()
	}
	return resp.MarshalJSON()
}

// MarshalStatus encodes a google.rpc.Status, the body OTLP/HTTP prescribes for errors.
func MarshalStatus(enc Encoding, code int32, message string) []byte {
	st := &spb.Status{Code: code, Message: message}
	var (
		data []byte
		err  error
	)
	if enc == Protobuf {
		data, err = proto.Marshal(st)
	} else {
		data, err = protojson.Marshal(st)
	}
	if err != nil {
		// Only invalid UTF-8 in message fails, and messages are built from checked input.
		return []byte(`{"code":13,"message":"failed to encode error"}`)
	}
	return data
}
