{{- define "minefleet.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "minefleet.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/part-of: minefleet
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{- define "minefleet.selector" -}}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/name: {{ .component }}
{{- end -}}

{{- define "minefleet.image" -}}
{{- printf "%s/%s:%s" .root.Values.imageRegistry .image.repository (default .root.Chart.AppVersion .image.tag) -}}
{{- end -}}

{{/* Pod and container security contexts shared by the control plane and the operator. */}}
{{- define "minefleet.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "minefleet.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
{{- end -}}

{{/* Where game servers run: the control plane's and the gateway's MINEFLEET_RUNTIME settings. */}}
{{- define "minefleet.runtimeEnv" -}}
{{- $rt := .Values.controlPlane.runtime -}}
- name: MINEFLEET_RUNTIME
  value: {{ $rt.kind | quote }}
{{- if eq $rt.kind "kubernetes" }}
- name: MINEFLEET_K8S_NAMESPACE
  value: {{ $rt.namespace | quote }}
- name: MINEFLEET_K8S_ADDRESS
  value: {{ $rt.address | quote }}
- name: MINEFLEET_K8S_MAINTENANCE_LINGER_SECONDS
  value: {{ $rt.maintenanceLingerSeconds | quote }}
- name: MINEFLEET_K8S_PLATFORM_NAMESPACE
  value: {{ .Release.Namespace | quote }}
{{- end }}
{{- end -}}

{{/* The gateway settings the control plane and the gateway share (hostnames, port). */}}
{{- define "minefleet.gatewayEnv" -}}
{{- with .Values.gateway.gameDomain }}
- name: MINEFLEET_GAME_DOMAIN
  value: {{ . | quote }}
{{- end }}
- name: MINEFLEET_GATEWAY_PORT
  value: {{ .Values.gateway.port | quote }}
{{- end -}}

{{/*
The secrets and services the control plane and the gateway both connect with: the JWT secret (tokens),
the metrics token, the external database and NATS (each only when configured; the gateway requires both).
*/}}
{{- define "minefleet.sharedEnv" -}}
{{- $cp := .Values.controlPlane -}}
{{- $cpName := printf "%s-control-plane" (include "minefleet.fullname" .) -}}
- name: MINEFLEET_JWT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ default (printf "%s-jwt" $cpName) $cp.jwtSecret.existingSecret }}
      key: {{ $cp.jwtSecret.key }}
{{- with $cp.metricsToken.existingSecret }}
- name: MINEFLEET_METRICS_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $cp.metricsToken.key }}
{{- end }}
{{- if $cp.database.existingSecret }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ $cp.database.existingSecret }}
      key: {{ $cp.database.key }}
{{- end }}
{{- with $cp.nats.url }}
- name: NATS_URL
  value: {{ . | quote }}
{{- end }}
{{- end -}}
