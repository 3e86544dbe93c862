// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package browsereventsreceiver // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver"

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/dropin"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/intake"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/status"
)

// handleLogs serves POST /v1/logs. Each refusal is answered with an OTLP
// google.rpc.Status saying what was wrong, and counted by reason.
func (r *browserEventsReceiver) handleLogs(w http.ResponseWriter, req *http.Request) {
	r.ingest(w, req, newOTLPFormat(req))
}

// handleFaro serves the Grafana Faro Web SDK (faro.path, POST /collect).
func (r *browserEventsReceiver) handleFaro(w http.ResponseWriter, req *http.Request) {
	r.ingest(w, req, newJSONFormat(req, dropin.FormatFaro, dropin.DecodeFaro, 0))
}

// handlePlausible serves the Plausible Events API (plausible.path, POST /api/event).
func (r *browserEventsReceiver) handlePlausible(w http.ResponseWriter, req *http.Request) {
	r.ingest(w, req, newJSONFormat(req, dropin.FormatPlausible, dropin.DecodePlausible, plausibleMaxBodyBytes))
}

// plausibleMaxBodyBytes bounds a Plausible request: it carries one event,
// and an event is at most limits.max_event_bytes once decoded.
const plausibleMaxBodyBytes = 32 << 10

// ingest reads one request in format f, checks and enriches its events and
// hands them to the pipeline; the answer is f's.
func (r *browserEventsReceiver) ingest(w http.ResponseWriter, req *http.Request, f ingestFormat) {
	now := r.now()
	client := r.clientIPs.Resolve(req)
	// Every request costs a token before its body is read, so that empty,
	// malformed and oversized requests are not free; its events cost the rest.
	if !r.allow(w, req, f, client, 1, 0, now) {
		return
	}
	decoded, ok := r.readBody(w, req, f, client, now)
	if !ok {
		return
	}
	r.countSignals(req, f, decoded.Signals)
	logs := decoded.Logs
	// Events refused while decoding count against the limits as well.
	total := logs.LogRecordCount() + decoded.Rejected
	if total == 0 && decoded.Items == 0 {
		f.writeAccepted(w, 0, "")
		return
	}
	if total > r.cfg.Limits.MaxEventsPerRequest {
		r.refuseRequest(w, req, f, http.StatusRequestEntityTooLarge, intake.ReasonTooLarge, total,
			fmt.Sprintf("request has %d events, more than max_events_per_request of %d", total, r.cfg.Limits.MaxEventsPerRequest))
		return
	}
	// Every item read costs a token, whether it became an event or not.
	if !r.allow(w, req, f, client, max(total, decoded.Items)-1, total, now) {
		return
	}
	if total == 0 {
		f.writeAccepted(w, 0, "")
		return
	}
	if r.cfg.Privacy.HonorOptOutHeaders && optedOut(req.Header) {
		// As footfall.js does in the browser: nothing is kept, and the
		// client is told nothing it could retry.
		r.countRefusedEvents(req, intake.ReasonOptedOut, total)
		f.writeAccepted(w, 0, "")
		return
	}
	siteHint := req.URL.Query().Get("site")
	if siteHint == "" && decoded.SiteName != "" {
		siteHint = r.siteNamed(decoded.SiteName)
	}
	res := r.enricher.Enrich(req.Context(), intake.Request{
		Origin:      requestOrigin(req),
		UserAgent:   req.UserAgent(),
		ClientHints: req.Header.Get("Sec-Ch-Ua"), // canonical: Get allocates no key
		ClientIP:    client,
		SiteHint:    siteHint,
		Received:    now,
		Format:      string(f.name()),
	}, logs)
	res.Add(intake.ReasonInvalidEvent, decoded.Rejected, decoded.Messages)
	for reason, n := range res.Rejected {
		r.countRefusedEvents(req, reason, n)
	}
	for bot, n := range res.Bots {
		r.telemetry.ReceiverBrowsereventsBotEvents.Add(req.Context(), int64(n), metric.WithAttributeSet(attribute.NewSet(
			attribute.String("site", bot.Site), attribute.String("reason", bot.Reason))))
	}
	r.deliver(w, req, f, res)
}

// readBody reads and decodes the body, or refuses the request. The bytes
// read cost tokens before anything is decoded, refused bodies included.
func (r *browserEventsReceiver) readBody(w http.ResponseWriter, req *http.Request, f ingestFormat, client netip.Addr, now time.Time) (dropin.Decoded, bool) {
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		r.refuseRequest(w, req, f, http.StatusMethodNotAllowed, intake.ReasonMethodNotAllowed, 0, fmt.Sprintf("method %s not allowed, use POST", req.Method))
		return dropin.Decoded{}, false
	}
	if err := f.contentTypeError(); err != nil {
		r.refuseRequest(w, req, f, http.StatusUnsupportedMediaType, intake.ReasonUnsupportedMediaType, 0, err.Error())
		return dropin.Decoded{}, false
	}
	limit, limitName := r.cfg.MaxRequestBodySize, "max_request_body_size"
	if formatLimit := f.maxBodyBytes(); formatLimit > 0 && formatLimit < limit {
		limit, limitName = formatLimit, fmt.Sprintf("the %s format's limit", f.name())
		req.Body = http.MaxBytesReader(w, req.Body, limit)
	}
	if req.ContentLength > limit {
		r.refuseRequest(w, req, f, http.StatusRequestEntityTooLarge, intake.ReasonTooLarge, 0,
			fmt.Sprintf("body of %d bytes exceeds %s of %d bytes", req.ContentLength, limitName, limit))
		return dropin.Decoded{}, false
	}
	lent := bodyBuffers.get()
	body, err := readBodyInto(req.Body, req.ContentLength, *lent)
	// The decoders copy what they keep: the buffer is free once this returns.
	defer bodyBuffers.put(lent, body)
	if !r.allow(w, req, f, client, r.byteTokens(len(body)), 0, now) {
		return dropin.Decoded{}, false
	}
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			r.refuseRequest(w, req, f, http.StatusRequestEntityTooLarge, intake.ReasonTooLarge, 0,
				fmt.Sprintf("body exceeds %s of %d bytes", limitName, tooLarge.Limit))
			return dropin.Decoded{}, false
		}
		r.refuseRequest(w, req, f, http.StatusBadRequest, intake.ReasonMalformed, 0, "the body could not be read")
		return dropin.Decoded{}, false
	}
	decoded, err := f.decode(body, r.cfg.Limits.MaxEventsPerRequest)
	if err != nil {
		var tooMany *dropin.TooManyEventsError
		if errors.As(err, &tooMany) {
			// Decoding may stop at the limit: at least one more than it.
			r.refuseRequest(w, req, f, http.StatusRequestEntityTooLarge, intake.ReasonTooLarge, max(tooMany.Items, tooMany.Limit+1), err.Error())
			return dropin.Decoded{}, false
		}
		r.refuseRequest(w, req, f, http.StatusBadRequest, intake.ReasonMalformed, 0, err.Error())
		return dropin.Decoded{}, false
	}
	return decoded, true
}

// byteTokens is what n bytes of body cost: a token per whole
// rate_limit.bytes_per_token; what is less is covered by the token the
// request paid before it was read.
func (r *browserEventsReceiver) byteTokens(n int) int {
	if r.limiter == nil {
		return 0 // bytes_per_token is only checked when the limiter is on
	}
	return n / r.cfg.RateLimit.BytesPerToken
}

// deliver hands the accepted events to the pipeline and answers.
func (r *browserEventsReceiver) deliver(w http.ResponseWriter, req *http.Request, f ingestFormat, res intake.Result) {
	if res.Accepted == 0 {
		if res.RejectedCount() == res.Rejected[intake.ReasonBot] {
			// Crawlers are told nothing: a refusal would only make them retry.
			f.writeAccepted(w, 0, "")
			return
		}
		code, reason := status.OfRefusal(res.Rejected)
		r.countRefusedRequest(req, reason)
		f.writeStatus(w, code, strings.Join(res.Messages, "; "))
		return
	}

	ctx := r.obsrep.StartLogsOp(req.Context())
	err := r.next.ConsumeLogs(ctx, res.Logs)
	r.obsrep.EndLogsOp(ctx, f.transport(), res.Accepted, err)
	if err != nil {
		// The error's text stays in the collector's log: it may name
		// storage paths and internals a public client has no business
		// reading.
		r.settings.Logger.Debug("Pipeline refused browser events", zap.Int("events", res.Accepted), zap.Error(err))
		code, retry := status.OfConsumerError(err)
		if !retry {
			r.refuseRequest(w, req, f, code, intake.ReasonDownstreamPermanent, res.Accepted, "the events were refused by the pipeline")
			return
		}
		w.Header().Set("Retry-After", status.RetryAfter(time.Second))
		r.refuseRequest(w, req, f, code, intake.ReasonDownstreamRetryable, res.Accepted, "the collector cannot store events right now; retry later")
		return
	}
	f.writeAccepted(w, res.RejectedCount()-res.Rejected[intake.ReasonBot], strings.Join(res.Messages, "; "))
}

// allow takes n tokens from the client's bucket, or refuses the request with
// 429; refused counts the events the refusal drops.
func (r *browserEventsReceiver) allow(w http.ResponseWriter, req *http.Request, f ingestFormat, client netip.Addr, n, refused int, now time.Time) bool {
	if r.limiter == nil || n <= 0 {
		return true
	}
	ok, wait := r.limiter.Allow(client, n, now)
	if !ok {
		w.Header().Set("Retry-After", status.RetryAfter(wait))
		r.refuseRequest(w, req, f, http.StatusTooManyRequests, intake.ReasonRateLimited, refused,
			fmt.Sprintf("rate limit of %g events/s per client exceeded", r.cfg.RateLimit.EventsPerSecond))
	}
	return ok
}

// optedOut reports whether the browser asks not to be tracked: Global
// Privacy Control (Sec-GPC: 1) or Do Not Track (DNT: 1).
func optedOut(h http.Header) bool {
	return h.Get("Sec-GPC") == "1" || h.Get("DNT") == "1"
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

func (r *browserEventsReceiver) refuseRequest(w http.ResponseWriter, req *http.Request, f ingestFormat, code int, reason intake.Reason, events int, message string) {
	r.countRefusedRequest(req, reason)
	r.countRefusedEvents(req, reason, events)
	f.writeStatus(w, code, message)
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
func (r *browserEventsReceiver) errorHandler(w http.ResponseWriter, req *http.Request, message string, code int) {
	enc, _ := intake.EncodingOf(req.Header.Get("Content-Type"))
	reason := intake.ReasonMalformed // a body that does not decompress
	switch code {
	case http.StatusRequestEntityTooLarge:
		reason = intake.ReasonTooLarge
	case http.StatusUnauthorized:
		reason = intake.ReasonUnauthorized
	}
	r.countRefusedRequest(req, reason)
	writeStatus(w, enc, code, message)
}

func writeStatus(w http.ResponseWriter, enc intake.Encoding, code int, message string) {
	body, _ := fitMessage(message, func(m string) ([]byte, error) { return intake.MarshalStatus(enc, status.GRPCCode(code), m), nil })
	w.Header().Set("Content-Type", enc.ContentType())
	w.WriteHeader(code)
	_, _ = w.Write(body) // #nosec G705 -- an OTLP status under an explicit, non-HTML Content-Type
}

func formatName(enc intake.Encoding) string {
	if enc == intake.Protobuf {
		return "protobuf"
	}
	return "json"
}

// countSignals counts what a third-party payload carried besides events.
func (r *browserEventsReceiver) countSignals(req *http.Request, f ingestFormat, signals map[dropin.Signal]int) {
	for s, n := range signals {
		r.telemetry.ReceiverBrowsereventsSignals.Add(req.Context(), int64(n), metric.WithAttributeSet(attribute.NewSet(
			attribute.String("format", string(f.name())), attribute.String("signal_kind", s.Kind), attribute.String("signal_type", s.Type))))
	}
}

// siteNamed is the id of the site a third-party SDK names, or the name
// itself, so that the refusal says which name is not configured.
func (r *browserEventsReceiver) siteNamed(name string) string {
	if site, ok := r.enricher.Sites.Named(name); ok {
		return site.ID
	}
	return name
}
