// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkaclient

import (
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/kafka/configkafka"
	"github.com/stretchr/testify/assert"
)

// metadata::retry::backoff doubles per try up to the larger of 5 s and
// itself, as configkafka documents it.
func TestRetryBackoffDoublesUpToItsCeiling(t *testing.T) {
	var got []time.Duration
	backoff := RetryBackoff(250 * time.Millisecond)
	for tries := 1; tries <= 7; tries++ {
		got = append(got, backoff(tries))
	}
	assert.Equal(t, []time.Duration{
		250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second,
	}, got)
	assert.Equal(t, 8*time.Second, RetryBackoff(8*time.Second)(3))
}

func TestUnsupportedOptionsAreNamed(t *testing.T) {
	c := configkafka.NewDefaultClientConfig()
	assert.Empty(t, Unsupported(c))
	c.Authentication.Kerberos = &configkafka.KerberosConfig{}
	c.Authentication.SASL = &configkafka.SASLConfig{Mechanism: "AWS_MSK_IAM_OAUTHBEARER"}
	c.UseLeaderEpoch = false
	errs := Unsupported(c)
	assert.Len(t, errs, 3)
	assert.ErrorContains(t, errs[0], "auth::kerberos")
	assert.ErrorContains(t, errs[1], "AWS_MSK_IAM_OAUTHBEARER")
	assert.ErrorContains(t, errs[2], "use_leader_epoch")
}
