// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package browsereventsreceiver // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver"

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"

	"github.com/footfall-analytics/footfall/web/tracker"
)

// trackerAsset is footfall.js as served: the bytes, compressed once at start,
// and an ETag from the content, so a new build is fetched as soon as a cached
// copy is revalidated.
type trackerAsset struct {
	plain, gzipped []byte
	etag           string
}

func newTrackerAsset(script []byte) trackerAsset {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // a valid level never errs
	_, _ = zw.Write(script)                                  // writes to a bytes.Buffer never fail
	_ = zw.Close()
	sum := sha256.Sum256(script)
	return trackerAsset{plain: script, gzipped: buf.Bytes(), etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
}

var footfallJS = newTrackerAsset(tracker.Script)

// handleTracker serves GET /footfall.js. Pages of every site load it, so it
// is cacheable by browsers and CDNs for an hour and then revalidated by ETag.
func (*browserEventsReceiver) handleTracker(w http.ResponseWriter, req *http.Request) {
	footfallJS.serve(w, req)
}

func (a trackerAsset) serve(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed, use GET", http.StatusMethodNotAllowed)
		return
	}
	h := w.Header()
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("ETag", a.etag)
	h.Set("Vary", "Accept-Encoding")
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	// Sites that isolate themselves (COEP) may still load it.
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	if etagMatches(req.Header.Get("If-None-Match"), a.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.plain
	if acceptsGzip(req.Header.Get("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
		body = a.gzipped
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if req.Method == http.MethodGet {
		_, _ = w.Write(body)
	}
}

func etagMatches(ifNoneMatch, etag string) bool {
	for candidate := range strings.SplitSeq(ifNoneMatch, ",") {
		candidate = strings.TrimPrefix(strings.TrimSpace(candidate), "W/")
		if candidate == "*" || candidate == etag {
			return true
		}
	}
	return false
}

// acceptsGzip reads Accept-Encoding, honouring an explicit gzip;q=0.
func acceptsGzip(acceptEncoding string) bool {
	for part := range strings.SplitSeq(acceptEncoding, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}
