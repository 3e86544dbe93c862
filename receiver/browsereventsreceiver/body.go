// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package browsereventsreceiver // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver"

import (
	"errors"
	"io"
	"sync"
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
	return readBodyInto(body, declared, nil)
}

// readBodyInto reads a request body as readBody does, into buf's room
// (grown when the declared length needs more).
func readBodyInto(body io.Reader, declared int64, buf []byte) ([]byte, error) {
	// One byte more than declared, so that the end of the body is read
	// without growing the buffer.
	if want := min(max(declared, 0)+1, maxBodyPresize); int64(cap(buf)) < want {
		buf = make([]byte, 0, want)
	}
	buf = buf[:0]
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

// maxPooledBody is the largest body buffer kept for reuse: the rare larger
// body's buffer goes to the garbage collector, so the pool holds no more
// than this per buffer.
const maxPooledBody = 64 << 10

// bodyBuffers lends request body buffers. A body is garbage once decoded:
// every decoder copies what it keeps (pdata's protobuf and JSON decoders,
// encoding/json for the drop-in formats), and a batch's body was about a
// twelfth of the bytes the intake allocated.
var bodyBuffers = bodyPool{Pool: sync.Pool{New: func() any { b := make([]byte, 0, maxBodyPresize); return &b }}}

type bodyPool struct{ sync.Pool }

// get lends a buffer; put gives it back, holding body (the buffer as the
// read left it, perhaps grown) once nothing refers to it any more.
func (p *bodyPool) get() *[]byte { return p.Get().(*[]byte) }

func (p *bodyPool) put(lent *[]byte, body []byte) {
	if cap(body) > maxPooledBody {
		return
	}
	*lent = body[:0]
	p.Put(lent)
}
