// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Command footfall-demo serves the demo site (web/demo) next to a running
// collector, for `make demo`.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"time"

	"github.com/footfall-analytics/footfall/web/demo"
)

func main() {
	listen := flag.String("listen", "localhost:8080", "address the demo site listens on")
	collector := flag.String("collector", "http://localhost:4319", "base URL of the browserevents receiver")
	metrics := flag.String("metrics", "http://localhost:8889/metrics", "the web analytics metrics endpoint, linked from every page")
	site := flag.String("site", "demo", "site id the pages send")
	flag.Parse()

	h, err := demo.Handler(demo.Options{Collector: *collector, Site: *site, Metrics: *metrics})
	if err != nil {
		log.Fatal(err)
	}
	l, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("demo site:  http://%s/\ncollector:  %s\nmetrics:    %s\n", l.Addr(), *collector, *metrics)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.Serve(l))
}
