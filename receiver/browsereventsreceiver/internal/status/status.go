// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package status maps what happened to a request to the HTTP status and the
// OTLP google.rpc.Code the intake answers, in one place, as core's
// otlpreceiver keeps its mapping in internal/errors.
package status // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/status"

import (
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/consumer/consumererror"
	"google.golang.org/grpc/codes"

	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/intake"
)

// OfConsumerError is the answer to a pipeline that refused the events, as
// otlpreceiver maps consumer errors: a permanent error will never succeed
// (400), anything else is worth a retry (503, with Retry-After).
func OfConsumerError(err error) (status int, retry bool) {
	if consumererror.IsPermanent(err) {
		return http.StatusBadRequest, false
	}
	return http.StatusServiceUnavailable, true
}

// OfRefusal answers a request whose every record was refused: 403 when
// each was refused for who sent it (Reason.Forbidden), else 400; the reason
// reported is the most frequent one (ties: the first by name). Bot drops
// are silent and decide neither.
func OfRefusal(rejected map[intake.Reason]int) (int, intake.Reason) {
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

// GRPCCode is the google.rpc.Code an OTLP client expects for an HTTP status.
func GRPCCode(status int) int32 {
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

// RetryAfter is the Retry-After value asking a client to wait at least d,
// plus up to two seconds of jitter, so that clients refused together do
// not all come back together.
func RetryAfter(d time.Duration) string {
	seconds := max(1, int(math.Ceil(d.Seconds()))) + rand.IntN(3) // #nosec G404 -- jitter, not a secret
	return strconv.Itoa(seconds)
}
