// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// The bare limit of durable HTTP ingest on this machine: a server that
// reads each request's body, appends it to a file with the requests that
// arrived together (group commit: one write and one fdatasync per group,
// the next group forming while the sync runs) and answers 200. It decodes
// nothing. It runs as its own process (benchrun -serve-bare-ingest), so
// that its CPU and memory are measured like a collector's.

// bareSegmentSize is where the file starts over, empty: the bench measures
// the appends and the syncs, not disk usage.
const bareSegmentSize = 256 << 20

type appendRequest struct {
	body []byte
	done chan error
}

// serveBareIngest serves FOOTFALL_INTAKE_ENDPOINT (POST /v1/logs) and
// FOOTFALL_HEALTH_ENDPOINT until the process is stopped.
func serveBareIngest() error {
	// #nosec G703 -- the bench runner sets the directory, a temporary one of its own
	f, err := os.OpenFile(filepath.Join(os.Getenv("FOOTFALL_DATA_DIR"), "bare.log"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	appends := make(chan appendRequest, 1024)
	go commitGroups(f, appends)
	health := &http.Server{
		Addr: os.Getenv("FOOTFALL_HEALTH_ENDPOINT"), ReadHeaderTimeout: 5 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }),
	}
	go func() { _ = health.ListenAndServe() }()
	intake := &http.Server{
		Addr: os.Getenv("FOOTFALL_INTAKE_ENDPOINT"), ReadHeaderTimeout: 5 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
			if err != nil {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			done := make(chan error, 1)
			appends <- appendRequest{body: body, done: done}
			if err := <-done; err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte("{}"))
		}),
	}
	return intake.ListenAndServe()
}

// commitGroups takes every waiting append, writes them in one write, syncs
// the data and answers them all.
func commitGroups(f *os.File, appends chan appendRequest) {
	var buf []byte
	var group []appendRequest
	written := 0
	for first := range appends {
		group = append(group[:0], first)
	more:
		for {
			select {
			case a := <-appends:
				group = append(group, a)
			default:
				break more
			}
		}
		buf = buf[:0]
		for _, a := range group {
			buf = append(buf, a.body...)
		}
		err := writeAndSync(f, buf, &written)
		for _, a := range group {
			a.done <- err
		}
	}
}

func writeAndSync(f *os.File, buf []byte, written *int) error {
	if *written+len(buf) > bareSegmentSize {
		// Start over in an empty file: appends grow it, as a log's do.
		if err := f.Truncate(0); err != nil {
			return err
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		*written = 0
	}
	n, err := f.Write(buf)
	*written += n
	if err != nil {
		return err
	}
	if n != len(buf) {
		return errors.New("short write")
	}
	return syscall.Fdatasync(int(f.Fd()))
}
