{{/* Names, labels and the TLS Secret's name, shared by every template. */}}

{{- define "flink-ha-webhook.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* <release> when it already says flink-ha-webhook, else <release>-flink-ha-webhook (Helm's usual rule). */}}
{{- define "flink-ha-webhook.fullname" -}}
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

{{/* The selector labels: only the name, so that a values change never alters an immutable selector. */}}
{{- define "flink-ha-webhook.selectorLabels" -}}
app.kubernetes.io/name: {{ include "flink-ha-webhook.name" . }}
{{- end }}

{{- define "flink-ha-webhook.labels" -}}
{{ include "flink-ha-webhook.selectorLabels" . }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* `  annotations:` (metadata of a top-level object) with commonAnnotations and a leading newline, or nothing. */}}
{{- define "flink-ha-webhook.annotations" -}}
{{- with .Values.commonAnnotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
{{- end }}
{{- end }}

{{- define "flink-ha-webhook.tlsSecretName" -}}
{{- default (printf "%s-tls" (include "flink-ha-webhook.fullname" .)) .Values.tls.secretName }}
{{- end }}

{{/* Namespaces no webhook is sent from: config.excludedNamespaces and the webhook's own (its recovery). */}}
{{- define "flink-ha-webhook.excludedNamespaces" -}}
{{- $excluded := .Values.config.excludedNamespaces }}
{{- if not (has .Release.Namespace $excluded) }}
{{- $excluded = append $excluded .Release.Namespace }}
{{- end }}
{{- printf "[%s]" (join ", " $excluded) }}
{{- end }}

{{/* The webhook's config file: .Values.config, without an empty storageDir/checkpointDir/savepointDir template (empty means none). */}}
{{- define "flink-ha-webhook.configFile" -}}
{{- $config := omit .Values.config "storageDirTemplate" "checkpointDirTemplate" "savepointDirTemplate" }}
{{- with .Values.config.storageDirTemplate }}{{ $_ := set $config "storageDirTemplate" . }}{{ end }}
{{- with .Values.config.checkpointDirTemplate }}{{ $_ := set $config "checkpointDirTemplate" . }}{{ end }}
{{- with .Values.config.savepointDirTemplate }}{{ $_ := set $config "savepointDirTemplate" . }}{{ end }}
{{- if .Values.clientAuth.caBundle }}
{{- $_ := set $config "tls" (dict "clientCaFile" "/etc/flink-ha-webhook-client-ca/ca.crt" "requireClientCert" .Values.clientAuth.require) }}
{{- end }}
{{- toYaml $config }}
{{- end }}

{{/* The webhook image: repository@digest when a digest is set, else repository:tag (tag empty: the chart's appVersion). */}}
{{- define "flink-ha-webhook.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}
{{- end -}}
