// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package browsereventsreceiver // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver"

import (
	"errors"
	"io"
)

// maxBodyPresize bounds the buffer made up front for a request body from
// its Content-Length. A body of a batch fits (20 events are a few kB); a
// larger one grows as its bytes arrive, so a client that declares a large
// body and sends nothing holds no more than this.
const maxBodyPresize = 16 << 10

// readBody reads a request body whose declared length (Content-Length, -1
// when unknown; already checked against the limit) sizes its buffer, up to
// maxBodyPresize: io.ReadAll starts at 512 bytes and copies the body again
// at each doubling, which was a tenth of reading a request.
func readBody(body io.Reader, declared int64) ([]byte, error) {
	if declared <= 0 {
		return io.ReadAll(body)
	}
	// One byte more than declared, so that the end of the body is read
	// without growing the buffer.
	buf := make([]byte, 0, min(declared+1, maxBodyPresize))
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}
