# Footfall: `make run` starts the collector on config/default.yaml,
# `make test` runs every test. Both install what they need.

SHELL       := /bin/bash
GO          ?= go
TOOLS_BIN   := $(CURDIR)/.tools/bin
OCB_VERSION := v0.165.0
OCB         := $(TOOLS_BIN)/builder
MDATAGEN    := $(TOOLS_BIN)/mdatagen
GOLANGCI_LINT_VERSION := v2.15.0
GOLANGCI_LINT := $(TOOLS_BIN)/golangci-lint
BIN         := $(CURDIR)/bin/footfall
FUZZTIME    ?= 20s

.PHONY: bots-update image packages chart-files chart-examples deploy-test geo demo-prebuilt all build lint-then-build bench-baseline run demo tracker check-tracker liveview-assets check-liveview test unit-test fuzz alerts e2e e2e-prebuilt generate check-generated bench lint tools clean

all: build

$(OCB):
	GOBIN=$(TOOLS_BIN) $(GO) install go.opentelemetry.io/collector/cmd/builder@$(OCB_VERSION)

$(MDATAGEN): internal/tools/go.mod internal/tools/go.sum
	cd internal/tools && $(GO) build -o $(MDATAGEN) go.opentelemetry.io/collector/cmd/mdatagen

$(GOLANGCI_LINT):
	GOBIN=$(TOOLS_BIN) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)

tools: $(OCB) $(MDATAGEN)

## generate: regenerate component metadata with mdatagen
# mdatagen knows the addresses of the upstream distributions only; the
# status blocks of our components link to the distribution they are built into.
DISTRIBUTION_URL := https://github.com/footfall-analytics/footfall/blob/main/builder-config.yaml

generate: $(MDATAGEN)
	./scripts/ensure-node-modules.sh web/bots
	PATH="$(TOOLS_BIN):$$PATH" $(GO) generate ./...
	sed -i 's|^\[footfall\]: *$$|[footfall]: $(DISTRIBUTION_URL)|' $(wildcard */*/README.md)

## bots-update: move the pinned bot lists (web/bots) to their newest releases and regenerate (docs/bots.md)
bots-update:
	cd web/bots && npm install --no-audit --no-fund --save-exact isbot@latest crawler-user-agents@latest top-user-agents@latest
	$(MAKE) generate

## check-generated: fail when committed generated code is stale
check-generated: generate
	@git diff --exit-code -- '*generated*' '*/documentation.md' '*/README.md' || { echo "generated files are stale: run make generate and commit"; exit 1; }

## build: compile the distribution with ocb into bin/footfall
# The binary is written beside bin/footfall and renamed over it: copying over
# it fails ("Text file busy") while make run is running it.
# ocb generates the sources; go build compiles them without ocb's -trimpath,
# so that packages golangci-lint compiled for type information (same flags)
# come from the build cache instead of being compiled twice.
build: $(OCB) geo
	$(OCB) --config builder-config.yaml --skip-compilation
	cd _build && $(GO) build -ldflags='-s -w' -o footfall .
	@mkdir -p bin && cp _build/footfall $(BIN).new && mv -f $(BIN).new $(BIN)
	@echo "built $(BIN)"

## geo: install the country database the configs use (geo/country.mmdb), pinned
## with its sha512 in geo/package-lock.json (docs/geo.md)
geo:
	./scripts/ensure-node-modules.sh geo
	@test -r geo/country.mmdb || { echo "geo/country.mmdb is missing after npm ci"; exit 1; }

## run: build and start the collector on config/default.yaml
# The shipped configs look for the country database where the image and the
# packages install it; from a checkout, it is geo/country.mmdb.
FOOTFALL_GEOIP_DATABASE ?= $(CURDIR)/geo/country.mmdb
export FOOTFALL_GEOIP_DATABASE
run: build
	$(BIN) --config config/default.yaml

## demo: the collector on config/default.yaml and the demo site (web/demo) beside it
demo: build
	$(MAKE) demo-prebuilt

# demo-prebuilt runs the demo on the binary `make build` left in bin/; the
# addresses can be moved (tests/e2e/demo_test.go runs it on free ports).
DEMO_LISTEN ?= localhost:8080
DEMO_INTAKE ?= localhost:4319
DEMO_METRICS ?= localhost:8889
DEMO_LIVEVIEW ?= localhost:4320
demo-prebuilt:
	@echo "footfall on config/default.yaml, and the demo site on http://$(DEMO_LISTEN)/; Ctrl-C stops both"
	@echo "live dashboard: http://$(DEMO_LIVEVIEW)/"
	@FOOTFALL_INTAKE_ENDPOINT=$(DEMO_INTAKE) FOOTFALL_METRICS_ENDPOINT=$(DEMO_METRICS) \
	FOOTFALL_LIVEVIEW_ENDPOINT=$(DEMO_LIVEVIEW) $(BIN) --config config/default.yaml & collector=$$!; \
	trap 'kill $$collector 2>/dev/null' EXIT INT TERM; \
	$(GO) run ./cmd/footfall-demo -listen $(DEMO_LISTEN) -collector http://$(DEMO_INTAKE) -metrics http://$(DEMO_METRICS)/metrics

## tracker: rebuild web/tracker/dist (footfall.js, footfall.mjs) from web/tracker/src
tracker:
	./scripts/ensure-node-modules.sh web/tracker
	cd web/tracker && npm run --silent build

## check-tracker: fail when the committed tracker build is not what its sources give
check-tracker: tracker
	@git diff --exit-code -- web/tracker/dist || { echo "web/tracker/dist is stale: run make tracker and commit"; exit 1; }

## liveview-assets: copy the pinned uPlot build (web/liveview/package-lock.json) into the live view exporter
LIVEVIEW_VENDOR := exporter/liveviewexporter/internal/assets/vendor
liveview-assets:
	./scripts/ensure-node-modules.sh web/liveview
	cp web/liveview/node_modules/uplot/dist/uPlot.iife.min.js web/liveview/node_modules/uplot/dist/uPlot.min.css $(LIVEVIEW_VENDOR)/
	cp web/liveview/node_modules/uplot/LICENSE $(LIVEVIEW_VENDOR)/uPlot.LICENSE

## check-liveview: fail when the vendored chart library is not the pinned one
check-liveview: liveview-assets
	@git diff --exit-code -- $(LIVEVIEW_VENDOR) || { echo "$(LIVEVIEW_VENDOR) is stale: run make liveview-assets and commit"; exit 1; }

## test: every test: generated code check, lint (with govet), unit tests, fuzzing, alert rules, end to end
# Lint, the race-enabled unit tests and the distribution build compile
# different things; running them side by side keeps both cores busy on a
# cold machine, where each alone leaves one core waiting on downloads and links.
test: geo check-generated check-tracker check-liveview
	$(MAKE) -j2 --output-sync=target unit-test lint-then-build
	$(MAKE) fuzz alerts e2e-prebuilt deploy-test

# lint-then-build builds after lint, which leaves most of the distribution's
# packages compiled in the build cache.
lint-then-build:
	$(MAKE) lint
	$(MAKE) build

# The end-to-end package needs the built binary; `make e2e` runs it.
UNIT_PACKAGES = $(shell $(GO) list ./... | grep -v /tests/e2e)

unit-test:
	$(GO) test -race -count=1 $(UNIT_PACKAGES)

# FUZZ_TARGETS: every decoder of outside bytes, as target:package.
FUZZ_TARGETS = \
	FuzzDecodeAndEnrich:./receiver/browsereventsreceiver/internal/intake \
	FuzzFastJSONDecodesAsPdata:./receiver/browsereventsreceiver/internal/intake \
	FuzzResolve:./receiver/browsereventsreceiver/internal/clientip \
	FuzzAllowsOrigin:./receiver/browsereventsreceiver/internal/sites \
	FuzzScrub:./receiver/browsereventsreceiver/internal/privacy \
	FuzzDecodeStoredState:./processor/sessionizeprocessor \
	FuzzRestoreKeepsTheIndex:./internal/dedup \
	FuzzApplySegment:./internal/dedup \
	FuzzConsume:./connector/webanalyticsconnector \
	FuzzRestoreState:./connector/webanalyticsconnector \
	FuzzApplyDelta:./connector/webanalyticsconnector/internal/uniques \
	FuzzParseCampaignReadsWhatNetURLReads:./receiver/browsereventsreceiver/internal/referrer \
	FuzzLoad:./receiver/kafkastreamreceiver/internal/changelog \
	FuzzDecodeFaro:./receiver/browsereventsreceiver/internal/dropin \
	FuzzDecodePlausible:./receiver/browsereventsreceiver/internal/dropin \
	FuzzMapOTLP:./receiver/browsereventsreceiver/internal/dropin \
	FuzzDecodeRecord:./receiver/kafkastreamreceiver \
	FuzzDecodeOffsets:./receiver/kafkastreamreceiver \
	FuzzBotMatch:./receiver/browsereventsreceiver/internal/useragent \
	FuzzEncodeDocument:./exporter/elasticsearchexporter \
	FuzzReadSpillEntry:./exporter/kafkaspillexporter \
	FuzzSegment:./exporter/kafkaspillexporter/internal/spill
FUZZTIME_EACH ?= 10s

## fuzz: each fuzz target for FUZZTIME_EACH (the intake decoder for FUZZTIME)
fuzz:
	GO=$(GO) ./scripts/fuzz.sh FuzzDecodeAndEnrich ./receiver/browsereventsreceiver/internal/intake $(FUZZTIME)
	@set -e; for entry in $(filter-out FuzzDecodeAndEnrich:%,$(FUZZ_TARGETS)); do \
		target=$${entry%%:*}; pkg=$${entry#*:}; \
		echo "fuzz $$target ($$pkg)"; \
		GO=$(GO) ./scripts/fuzz.sh "$$target" "$$pkg" $(FUZZTIME_EACH); \
	done

## alerts: check the Prometheus alerting rules and run their promtool unit tests
alerts:
	./scripts/ensure-prometheus.sh
	promtool check rules alerts/*.rules.yml
	promtool test rules alerts/tests/*.test.yml

e2e: build
	$(MAKE) e2e-prebuilt

# e2e-prebuilt runs the end-to-end tests on the binary `make build` left in bin/.
e2e-prebuilt:
	./scripts/ensure-prometheus.sh
	./scripts/ensure-browser.sh
	./scripts/ensure-node-modules.sh tests/e2e/duckdb
	FOOTFALL_BIN=$(BIN) $(GO) test -count=1 -v -run '^TestE2E' ./tests/e2e/

## bench: Go benchmarks of every component, then footfall and a stock collector
## under the same load (bench/), printed as one table in .bench/results.md
BENCH_DURATION ?= 15s
bench: build bench-baseline
	@mkdir -p .bench
	FOOTFALL_BIN=$(BIN) $(GO) test -run '^$$' -bench . -benchmem ./... | tee .bench/micro.txt
	$(GO) run ./bench/cmd/benchrun -footfall $(BIN) -baseline bench/baseline/_build/otelcol-baseline \
		-micro .bench/micro.txt -duration $(BENCH_DURATION) | tee .bench/results.md

## bench-baseline: the stock collector of bench/baseline/builder-config.yaml (upstream modules only)
bench-baseline: $(OCB)
	cd bench/baseline && $(OCB) --config builder-config.yaml

## lint: golangci-lint (govet, gofumpt and the linters in .golangci.yml), both modules
lint: $(GOLANGCI_LINT)
	$(GOLANGCI_LINT) run ./...
	cd deploy && $(GOLANGCI_LINT) run ./...

# Shipping (docs/deploy.md). The deploy/ module holds the image, chart and
# package tooling, so that the distribution's go.mod does not carry the
# Kubernetes, Helm and nfpm libraries.
SHIP_ARCHS ?= amd64,arm64

## image: the multi-platform OCI image (linux/amd64 and linux/arm64) in dist/image,
## assembled in Go without a container engine; two builds of a commit give one digest
image: build
	cd deploy && $(GO) run ./cmd/footfall-image -repo .. -out ../dist/image -arch $(SHIP_ARCHS)

## packages: deb and rpm packages (linux/amd64 and linux/arm64) in dist/packages, built with nfpm
packages: build
	cd deploy && $(GO) run ./cmd/footfall-packages -repo .. -out ../dist/packages -arch $(SHIP_ARCHS)

## chart-files: copy the shipped configs, alert rules and dashboards into the Helm chart
CHART := deploy/helm/footfall
chart-files:
	rm -f $(CHART)/files/config/*.yaml $(CHART)/files/alerts/*.yml $(CHART)/files/dashboards/*.json
	cp config/*.yaml $(CHART)/files/config/
	cp alerts/footfall.rules.yml $(CHART)/files/alerts/
	cp dashboards/*.json $(CHART)/files/dashboards/

## chart-examples: render the chart's examples into their rendered/ goldens
chart-examples: build chart-files
	cd deploy && FOOTFALL_BIN=$(BIN) $(GO) test -count=1 -run '^TestExamples$$' ./internal/chart -update

## deploy-test: the image, chart and package tests, on the sources and binary make build left
deploy-test:
	cd deploy && FOOTFALL_BIN=$(BIN) $(GO) test -count=1 ./...

clean:
	rm -rf _build bin dist
