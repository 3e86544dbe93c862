// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package confkeys refuses the configuration keys a component does not read
// (a contrib option it lacks, a key it had before), naming what to use
// instead. The collector would refuse an unknown key anyway, but without
// the way out.
package confkeys // import "github.com/footfall-analytics/footfall/internal/confkeys"

import (
	"errors"
	"fmt"

	"go.opentelemetry.io/collector/confmap"
)

// Refused is a key, what is wrong with it ("is not supported", "is now
// auth::sasl") and what to do instead.
type Refused struct {
	Key, Verdict, Instead string
}

// Unmarshal refuses every key of refused that conf sets, all in one error,
// and else decodes conf into cfg.
func Unmarshal(conf *confmap.Conf, cfg any, refused []Refused) error {
	var errs []error
	for _, r := range refused {
		if conf.IsSet(r.Key) {
			errs = append(errs, fmt.Errorf("%s %s: %s", r.Key, r.Verdict, r.Instead))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	return conf.Unmarshal(cfg)
}
