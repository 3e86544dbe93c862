// Package image assembles Footfall's OCI image in Go, without a container
// engine, the way ko does: a static binary and a few files laid into
// deterministic layers on an empty base, one image per platform, gathered
// in a multi-platform index. Every timestamp is the commit's time, so two
// builds of one commit give the same digest.
package image
