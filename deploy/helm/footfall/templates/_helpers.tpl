{{/* Names and labels, as the collector's own chart makes them. */}}
{{- define "footfall.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "footfall.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "footfall.selectorLabels" -}}
app.kubernetes.io/name: {{ include "footfall.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: {{ .Values.profile }}
{{- end }}

{{- define "footfall.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "footfall.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "footfall.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "footfall.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "footfall.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
The checks a render fails on, each naming the value to set. Every
template includes this, so that no object renders from values that cannot
run.
*/}}
{{- define "footfall.checks" -}}
{{- $p := .Values.profile }}
{{- if not (has $p (list "single" "gateway" "processing")) }}
{{- fail "profile must be single, gateway or processing: install with -f values-<profile>.yaml" }}
{{- end }}
{{- if and (ne $p "gateway") (ne .Values.mode "statefulset") }}
{{- fail (printf "the %s profile needs mode: statefulset (a volume for its state, a stable pod name)" $p) }}
{{- end }}
{{- if and (eq $p "gateway") (not (has .Values.mode (list "deployment" "statefulset"))) }}
{{- fail "the gateway profile runs as mode: deployment (or statefulset, for a spill that outlives its pod)" }}
{{- end }}
{{- if and (eq $p "single") (gt (int .Values.replicaCount) 1) }}
{{- fail "the single profile runs one replica: scale out with the gateway and processing profiles" }}
{{- end }}
{{- if and (eq $p "single") (not .Values.liveview.passwordSecret.name) }}
{{- fail "the single profile needs liveview.passwordSecret.name: a Secret with the live view's password (12 characters or more)" }}
{{- end }}
{{- if and .Values.ports.liveview.enabled (not .Values.liveview.behindTLSProxy) }}
{{- fail "ports.liveview.enabled exposes the live view off loopback: put a proxy that terminates TLS in front and set liveview.behindTLSProxy: true" }}
{{- end }}
{{- if and (eq $p "gateway") (not .Values.saltSecret.name) }}
{{- fail "the gateway profile needs saltSecret.name: a Secret with the visitor salt every gateway shares (32 bytes or more)" }}
{{- end }}
{{- if and (ne $p "single") (empty .Values.kafka.brokers) }}
{{- fail (printf "the %s profile needs kafka.brokers" $p) }}
{{- end }}
{{- if and (ne $p "single") (not .Values.kafka.plaintext) (not .Values.kafka.sasl.secret.name) }}
{{- fail "kafka.sasl.secret.name: a Secret with the SCRAM username and password (or kafka.plaintext: true on a private test network)" }}
{{- end }}
{{- if and .Values.keda.enabled (ne $p "processing") }}
{{- fail "keda scales the processing profile on consumer lag; scale the gateway with autoscaling (CPU)" }}
{{- end }}
{{- if and .Values.keda.enabled .Values.autoscaling.enabled }}
{{- fail "keda.enabled and autoscaling.enabled both make a HorizontalPodAutoscaler: choose one" }}
{{- end }}
{{- if and (eq $p "processing") (or .Values.keda.enabled .Values.autoscaling.enabled) }}
{{- if lt (int .Values.kafka.partitions) 1 }}
{{- fail "autoscaling the processing tier needs kafka.partitions, the events topic's partition count: no replica beyond it owns a partition" }}
{{- end }}
{{- if gt (int (include "footfall.maxReplicas" .)) (int .Values.kafka.partitions) }}
{{- fail (printf "the processing tier's maximum replicas (%s) exceed kafka.partitions (%d)" (include "footfall.maxReplicas" .) (int .Values.kafka.partitions)) }}
{{- end }}
{{- end }}
{{- end }}

{{- define "footfall.maxReplicas" -}}
{{- if .Values.keda.enabled }}
{{- default .Values.kafka.partitions .Values.keda.maxReplicaCount | int }}
{{- else }}
{{- .Values.autoscaling.maxReplicas | int }}
{{- end }}
{{- end }}

{{/*
The collector config: the profile's shipped config, without TLS and SASL
when kafka.plaintext, and .Values.config merged over it.
*/}}
{{- define "footfall.config" -}}
{{- $cfg := .Files.Get (printf "files/config/%s.yaml" .Values.profile) | fromYaml }}
{{- if .Values.kafka.plaintext }}
{{- with $cfg.exporters }}{{ with .kafka }}{{ $_ := unset . "tls" }}{{ $_ := unset . "auth" }}{{ end }}{{ end }}
{{- with $cfg.exporters }}{{ with .kafka_spill }}{{ $_ := unset . "tls" }}{{ $_ := unset . "auth" }}{{ end }}{{ end }}
{{- with $cfg.receivers }}{{ with .kafkastream }}{{ $_ := unset . "tls" }}{{ $_ := unset . "auth" }}{{ end }}{{ end }}
{{- end }}
{{- toYaml (mustMergeOverwrite $cfg (deepCopy .Values.config)) }}
{{- end }}

{{/* A memory quantity in bytes (Ki, Mi, Gi, Ti, k, M, G, T, or none). */}}
{{- define "footfall.bytes" -}}
{{- $q := toString . }}
{{- $units := dict "Ki" 1024 "Mi" 1048576 "Gi" 1073741824 "Ti" 1099511627776 "k" 1000 "M" 1000000 "G" 1000000000 "T" 1000000000000 }}
{{- $bytes := float64 $q }}
{{- $found := false }}
{{- range $suffix, $mult := $units }}
{{- if and (not $found) (hasSuffix $suffix $q) }}
{{- $bytes = mulf (trimSuffix $suffix $q | float64) $mult }}
{{- $found = true }}
{{- end }}
{{- end }}
{{- $bytes | int64 }}
{{- end }}

{{/* A YAML flow list, as the shipped configs read list-valued variables. */}}
{{- define "footfall.flowList" -}}
[{{ join "," . }}]
{{- end }}
