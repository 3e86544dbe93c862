// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package status

import (
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"google.golang.org/grpc/codes"

	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/intake"
)

func TestOfConsumerError(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		retry  bool
	}{
		{consumererror.NewPermanent(errors.New("bad")), http.StatusBadRequest, false},
		{errors.New("queue full"), http.StatusServiceUnavailable, true},
		{consumererror.NewRetryableError(errors.New("later")), http.StatusServiceUnavailable, true},
	} {
		status, retry := OfConsumerError(tc.err)
		assert.Equal(t, tc.status, status, tc.err.Error())
		assert.Equal(t, tc.retry, retry, tc.err.Error())
	}
}

func TestOfRefusal(t *testing.T) {
	for _, tc := range []struct {
		name     string
		rejected map[intake.Reason]int
		status   int
		reason   intake.Reason
	}{
		{"all for who sent them", map[intake.Reason]int{intake.ReasonUnknownSite: 2, intake.ReasonOriginNotAllowed: 1}, http.StatusForbidden, intake.ReasonUnknownSite},
		{"one malformed makes it 400", map[intake.Reason]int{intake.ReasonUnknownSite: 3, intake.ReasonMalformed: 1}, http.StatusBadRequest, intake.ReasonUnknownSite},
		{"ties go to the first name", map[intake.Reason]int{intake.ReasonOriginNotAllowed: 1, intake.ReasonUnknownSite: 1}, http.StatusForbidden, intake.ReasonOriginNotAllowed},
		{"bots decide nothing", map[intake.Reason]int{intake.ReasonBot: 9, intake.ReasonMalformed: 1}, http.StatusBadRequest, intake.ReasonMalformed},
	} {
		status, reason := OfRefusal(tc.rejected)
		assert.Equal(t, tc.status, status, tc.name)
		assert.Equal(t, tc.reason, reason, tc.name)
	}
}

func TestGRPCCode(t *testing.T) {
	for status, code := range map[int]codes.Code{
		http.StatusBadRequest: codes.InvalidArgument, http.StatusRequestEntityTooLarge: codes.InvalidArgument,
		http.StatusUnsupportedMediaType: codes.InvalidArgument, http.StatusUnauthorized: codes.Unauthenticated,
		http.StatusForbidden: codes.PermissionDenied, http.StatusNotFound: codes.NotFound,
		http.StatusMethodNotAllowed: codes.Unimplemented, http.StatusTooManyRequests: codes.ResourceExhausted,
		http.StatusServiceUnavailable: codes.Unavailable, http.StatusInternalServerError: codes.Internal,
	} {
		assert.Equal(t, int32(code), GRPCCode(status), "%d", status)
	}
}

// At least the wait asked, at most two seconds more.
func TestRetryAfter(t *testing.T) {
	for range 50 {
		for d, low := range map[time.Duration]int{0: 1, 1500 * time.Millisecond: 2, 10 * time.Second: 10} {
			s, err := strconv.Atoi(RetryAfter(d))
			assert.NoError(t, err)
			assert.GreaterOrEqual(t, s, low)
			assert.LessOrEqual(t, s, low+2)
		}
	}
}
