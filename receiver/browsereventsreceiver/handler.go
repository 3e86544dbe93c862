// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package browsereventsreceiver // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver"

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"google.golang.org/grpc/codes"

	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/intake"
)

// handleLogs serves POST /v1/logs. Each refusal is answered with an OTLP
// google.rpc.Status saying what was wrong, and counted by reason.
func (r *browserEventsReceiver) handleLogs(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		r.refuseRequest(w, req, intake.JSON, http.StatusMethodNotAllowed, intake.ReasonMethodNotAllowed, 0, fmt.Sprintf("method %s not allowed, use POST", req.Method))
		return
	}
	enc, err := intake.EncodingOf(req.Header.Get("Content-Type"))
	if err != nil {
		r.refuseRequest(w, req, enc, http.StatusUnsupportedMediaType, intake.ReasonUnsupportedMediaType, 0, err.Error())
		return
	}
	if req.ContentLength > r.cfg.MaxRequestBodySize {
		r.refuseRequest(w, req, enc, http.StatusRequestEntityTooLarge, intake.ReasonTooLarge, 0,
			fmt.Sprintf("body of %d bytes exceeds max_request_body_size of %d bytes", req.ContentLength, r.cfg.MaxRequestBodySize))
		return
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			r.refuseRequest(w, req, enc, http.StatusRequestEntityTooLarge, intake.ReasonTooLarge, 0,
				fmt.Sprintf("body exceeds max_request_body_size of %d bytes", tooLarge.Limit))
			return
		}
		r.refuseRequest(w, req, enc, http.StatusBadRequest, intake.ReasonMalformed, 0, "reading body: "+err.Error())
		return
	}
	logs, err := intake.Decode(enc, body)
	if err != nil {
		r.refuseRequest(w, req, enc, http.StatusBadRequest, intake.ReasonMalformed, 0, err.Error())
		return
	}
	count := logs.LogRecordCount()
	if count == 0 {
		r.writeExportResponse(w, enc, nil)
		return
	}
	if count > r.cfg.Limits.MaxEventsPerRequest {
		r.refuseRequest(w, req, enc, http.StatusRequestEntityTooLarge, intake.ReasonTooLarge, count,
			fmt.Sprintf("request has %d events, more than max_events_per_request of %d", count, r.cfg.Limits.MaxEventsPerRequest))
		return
	}

	now := r.now()
	client := r.clientIPs.Resolve(req)
	if r.limiter != nil {
		if ok, wait := r.limiter.Allow(client, count, now); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			r.refuseRequest(w, req, enc, http.StatusTooManyRequests, intake.ReasonRateLimited, count,
				fmt.Sprintf("rate limit of %g events/s per client exceeded", r.cfg.RateLimit.EventsPerSecond))
			return
		}
	}

	res := r.enricher.Enrich(req.Context(), intake.Request{
		Origin:    requestOrigin(req),
		UserAgent: req.UserAgent(),
		ClientIP:  client,
		SiteHint:  req.URL.Query().Get("site"),
		Received:  now,
	}, logs)
	for reason, n := range res.Rejected {
		r.countRefusedEvents(req, reason, n)
	}

	if res.Accepted == 0 {
		if res.RejectedCount() == res.Rejected[intake.ReasonBot] {
			// Crawlers are told nothing: a refusal would only make them retry.
			r.writeExportResponse(w, enc, nil)
			return
		}
		status, reason := refusalStatus(res.Rejected)
		r.countRefusedRequest(req, reason)
		writeStatus(w, enc, status, strings.Join(res.Messages, "; "))
		return
	}

	ctx := r.obsrep.StartLogsOp(req.Context())
	err = r.next.ConsumeLogs(ctx, res.Logs)
	r.obsrep.EndLogsOp(ctx, formatName(enc), res.Accepted, err)
	if err != nil {
		// Mapped as otlpreceiver maps consumer errors: permanent ones will
		// never succeed (400), anything else is worth a retry (503).
		if consumererror.IsPermanent(err) {
			r.refuseRequest(w, req, enc, http.StatusBadRequest, intake.ReasonDownstreamPermanent, res.Accepted, err.Error())
			return
		}
		w.Header().Set("Retry-After", "1")
		r.refuseRequest(w, req, enc, http.StatusServiceUnavailable, intake.ReasonDownstreamRetryable, res.Accepted, err.Error())
		return
	}
	r.writeExportResponse(w, enc, &res)
}

// refusalStatus answers 403 when every record was refused for who sent it,
// else 400; the reason reported is the most frequent one. Bot drops are
// silent and do not decide the status.
func refusalStatus(rejected map[intake.Reason]int) (int, intake.Reason) {
	status := http.StatusForbidden
	var top intake.Reason
	for reason, n := range rejected {
		if reason == intake.ReasonBot {
			continue
		}
		if !reason.Forbidden() {
			status = http.StatusBadRequest
		}
		if top == "" || n > rejected[top] || (n == rejected[top] && reason < top) {
			top = reason
		}
	}
	return status, top
}

// requestOrigin is the Origin header, or the origin of the Referer when a
// client sent no Origin.
func requestOrigin(req *http.Request) string {
	if origin := req.Header.Get("Origin"); origin != "" {
		return origin
	}
	if ref := req.Header.Get("Referer"); ref != "" {
		if u, err := url.Parse(ref); err == nil && u.Scheme != "" && u.Host != "" {
			return u.Scheme + "://" + u.Host
		}
	}
	return ""
}

func (r *browserEventsReceiver) writeExportResponse(w http.ResponseWriter, enc intake.Encoding, res *intake.Result) {
	rejected, message := 0, ""
	if res != nil {
		rejected, message = res.RejectedCount()-res.Rejected[intake.ReasonBot], strings.Join(res.Messages, "; ")
	}
	body, err := intake.MarshalResponse(enc, rejected, message)
	if err != nil {
		writeStatus(w, enc, http.StatusInternalServerError, "encoding response: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", enc.ContentType())
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body) // #nosec G705 -- an OTLP payload under an explicit, non-HTML Content-Type
}

func (r *browserEventsReceiver) refuseRequest(w http.ResponseWriter, req *http.Request, enc intake.Encoding, status int, reason intake.Reason, events int, message string) {
	r.countRefusedRequest(req, reason)
	r.countRefusedEvents(req, reason, events)
	writeStatus(w, enc, status, message)
}

func (r *browserEventsReceiver) countRefusedRequest(req *http.Request, reason intake.Reason) {
	r.telemetry.ReceiverBrowsereventsRefusedRequests.Add(req.Context(), 1, reasonAttr(reason))
}

func (r *browserEventsReceiver) countRefusedEvents(req *http.Request, reason intake.Reason, n int) {
	if n > 0 {
		r.telemetry.ReceiverBrowsereventsRefusedEvents.Add(req.Context(), int64(n), reasonAttr(reason))
	}
}

func reasonAttr(reason intake.Reason) metric.AddOption {
	return metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", string(reason))))
}

// errorHandler answers failures inside confighttp (decompression, auth) in OTLP form.
func (r *browserEventsReceiver) errorHandler(w http.ResponseWriter, req *http.Request, message string, status int) {
	enc, _ := intake.EncodingOf(req.Header.Get("Content-Type"))
	reason := intake.ReasonMalformed // a body that does not decompress
	switch status {
	case http.StatusRequestEntityTooLarge:
		reason = intake.ReasonTooLarge
	case http.StatusUnauthorized:
		reason = intake.ReasonUnauthorized
	}
	r.countRefusedRequest(req, reason)
	writeStatus(w, enc, status, message)
}

func writeStatus(w http.ResponseWriter, enc intake.Encoding, status int, message string) {
	w.Header().Set("Content-Type", enc.ContentType())
	w.WriteHeader(status)
	_, _ = w.Write(intake.MarshalStatus(enc, grpcCode(status), message)) // #nosec G705 -- an OTLP status under an explicit, non-HTML Content-Type
}

// grpcCode is the google.rpc.Code an OTLP client expects for an HTTP status.
func grpcCode(status int) int32 {
	switch status {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
		return int32(codes.InvalidArgument)
	case http.StatusUnauthorized:
		return int32(codes.Unauthenticated)
	case http.StatusForbidden:
		return int32(codes.PermissionDenied)
	case http.StatusNotFound:
		return int32(codes.NotFound)
	case http.StatusMethodNotAllowed:
		return int32(codes.Unimplemented)
	case http.StatusTooManyRequests:
		return int32(codes.ResourceExhausted)
	case http.StatusServiceUnavailable:
		return int32(codes.Unavailable)
	default:
		return int32(codes.Internal)
	}
}

func formatName(enc intake.Encoding) string {
	if enc == intake.Protobuf {
		return "protobuf"
	}
	return "json"
}
