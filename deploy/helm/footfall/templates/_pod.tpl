{{/* The pod template the deployment and the statefulset share. */}}
{{- define "footfall.pod" -}}
metadata:
  labels:
    {{- include "footfall.selectorLabels" . | nindent 4 }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    checksum/config: {{ include "footfall.config" . | sha256sum }}
    {{- with .Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "footfall.serviceAccountName" . }}
  # The collector never talks to the Kubernetes API.
  automountServiceAccountToken: false
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
  {{- with .Values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  containers:
    - name: footfall
      image: {{ include "footfall.image" . }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      args:
        - --config
        - /etc/footfall/release/config.yaml
        {{- if eq .Values.profile "processing" }}
        # Health follows component status: not ready while Kafka is away.
        - --feature-gates=+extension.healthcheck.useComponentStatus
        {{- end }}
      securityContext:
        {{- toYaml .Values.securityContext | nindent 8 }}
      ports:
        {{- range $name, $port := .Values.ports }}
        {{- if $port.enabled }}
        - name: {{ $name }}
          containerPort: {{ $port.containerPort }}
          protocol: {{ $port.protocol }}
        {{- end }}
        {{- end }}
        - name: health
          containerPort: 13133
          protocol: TCP
      env:
        {{- include "footfall.env" . | nindent 8 }}
      # Alive while the health port answers: a restart does not bring back
      # a Kafka that is away, which readiness reports.
      livenessProbe:
        tcpSocket:
          port: health
        {{- toYaml .Values.livenessProbe | nindent 8 }}
      readinessProbe:
        httpGet:
          path: /
          port: health
        {{- toYaml .Values.readinessProbe | nindent 8 }}
      resources:
        {{- toYaml .Values.resources | nindent 8 }}
      volumeMounts:
        - name: config
          mountPath: /etc/footfall/release
          readOnly: true
        - name: data
          mountPath: /var/lib/footfall
        - name: tmp
          mountPath: /tmp
        {{- if .Values.kafka.tls.caSecret.name }}
        - name: kafka-ca
          mountPath: /etc/footfall/kafka-ca
          readOnly: true
        {{- end }}
  volumes:
    - name: config
      configMap:
        name: {{ include "footfall.fullname" . }}
    - name: tmp
      emptyDir:
        sizeLimit: 64Mi
    {{- if not (and .Values.persistence.enabled (eq .Values.mode "statefulset")) }}
    - name: data
      emptyDir:
        sizeLimit: {{ .Values.persistence.size }}
    {{- end }}
    {{- if .Values.kafka.tls.caSecret.name }}
    - name: kafka-ca
      secret:
        secretName: {{ .Values.kafka.tls.caSecret.name }}
        items:
          - key: {{ .Values.kafka.tls.caSecret.key }}
            path: ca.crt
    {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{/*
The environment the shipped configs read (their comments list it). Secrets
come from Secrets, never from values.
*/}}
{{- define "footfall.env" -}}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: FOOTFALL_DATA_DIR
  value: /var/lib/footfall
- name: FOOTFALL_HEALTH_ENDPOINT
  value: 0.0.0.0:13133
{{- if .Values.ports.intake.enabled }}
- name: FOOTFALL_INTAKE_ENDPOINT
  value: {{ printf "0.0.0.0:%d" (int .Values.ports.intake.containerPort) | quote }}
{{- end }}
{{- if .Values.ports.metrics.enabled }}
- name: FOOTFALL_METRICS_ENDPOINT
  value: {{ printf "0.0.0.0:%d" (int .Values.ports.metrics.containerPort) | quote }}
{{- end }}
{{- if .Values.ports.telemetry.enabled }}
- name: FOOTFALL_TELEMETRY_HOST
  value: 0.0.0.0
- name: FOOTFALL_TELEMETRY_PORT
  value: {{ .Values.ports.telemetry.containerPort | quote }}
{{- end }}
{{- if eq .Values.profile "single" }}
- name: FOOTFALL_LIVEVIEW_USER
  value: {{ .Values.liveview.user | quote }}
- name: FOOTFALL_LIVEVIEW_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .Values.liveview.passwordSecret.name }}
      key: {{ .Values.liveview.passwordSecret.key }}
- name: FOOTFALL_LIVEVIEW_HOST
  value: {{ .Values.liveview.host | quote }}
{{- if .Values.ports.liveview.enabled }}
- name: FOOTFALL_LIVEVIEW_ENDPOINT
  value: {{ printf "0.0.0.0:%d" (int .Values.ports.liveview.containerPort) | quote }}
- name: FOOTFALL_LIVEVIEW_BEHIND_TLS_PROXY
  value: "true"
{{- end }}
{{- end }}
{{- if eq .Values.profile "gateway" }}
- name: FOOTFALL_SALT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ .Values.saltSecret.name }}
      key: {{ .Values.saltSecret.key }}
{{- end }}
{{- if ne .Values.profile "processing" }}
- name: FOOTFALL_TRUSTED_PROXIES
  value: {{ include "footfall.flowList" .Values.trustedProxies | quote }}
{{- end }}
{{- if ne .Values.profile "single" }}
- name: FOOTFALL_KAFKA_BROKERS
  value: {{ include "footfall.flowList" .Values.kafka.brokers | quote }}
- name: FOOTFALL_EVENTS_TOPIC
  value: {{ .Values.kafka.eventsTopic | quote }}
{{- if not .Values.kafka.plaintext }}
- name: FOOTFALL_KAFKA_SASL_MECHANISM
  value: {{ .Values.kafka.sasl.mechanism | quote }}
- name: FOOTFALL_KAFKA_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ .Values.kafka.sasl.secret.name }}
      key: {{ .Values.kafka.sasl.secret.usernameKey }}
- name: FOOTFALL_KAFKA_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .Values.kafka.sasl.secret.name }}
      key: {{ .Values.kafka.sasl.secret.passwordKey }}
{{- if .Values.kafka.tls.caSecret.name }}
- name: FOOTFALL_KAFKA_CA_FILE
  value: /etc/footfall/kafka-ca/ca.crt
{{- end }}
{{- end }}
{{- end }}
{{- if eq .Values.profile "processing" }}
- name: FOOTFALL_GROUP_ID
  value: {{ .Values.kafka.groupId | quote }}
# The pod's stable name makes the transactional id: a restarted pod fences
# its own earlier incarnation's open transaction.
- name: FOOTFALL_TRANSACTIONAL_ID
  value: $(FOOTFALL_GROUP_ID)-$(POD_NAME)
{{- end }}
{{- if and .Values.useGOMEMLIMIT .Values.resources.limits.memory }}
- name: GOMEMLIMIT
  value: {{ printf "%dMiB" (div (mul (include "footfall.bytes" .Values.resources.limits.memory | int64) 8) 10485760) | quote }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}
