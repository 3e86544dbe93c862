// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

//go:generate mdatagen metadata.yaml

// Package kafkaspillexporter writes the gateway's browser events to the
// events topic and acknowledges them on Kafka's acks=all, with no disk
// write while Kafka answers. While it does not (unreachable, or slower
// than spill_after), requests go to a log on disk, group-committed, and are
// acknowledged once synced; one drainer sends that log to Kafka in order
// when the brokers return, and then hands back to acking on Kafka.
//
// An event's path:
//
//   - pushLogs (exporter.go) cuts the request into one message per resource
//     (one site and visitor), keyed by the resource's attribute hash
//     (messages.go), and takes its bytes from the in-flight budget (503
//     past it).
//   - While the route is direct, produce.go hands the messages to franz-go
//     and waits for every acknowledgement, up to spill_after. A failure or
//     the deadline sends the request to the spill instead, and the route
//     turns to spilling.
//   - While the route is spilling, requests go straight to the spill's
//     writer (internal/spill), behind everything spilled before them, so a
//     visitor's events stay in order.
//   - drain.go reads the spill in order, produces it, and deletes segments
//     Kafka has wholly acknowledged. When it has caught up, it hands over:
//     with requests held, it produces the last entries and turns the route
//     back to direct, so that they are ahead of every direct message in
//     franz-go's per-partition order.
package kafkaspillexporter // import "github.com/footfall-analytics/footfall/exporter/kafkaspillexporter"
