{{/*
The serving certificate in tls.mode=helm: the existing Secret's, when there is one (every upgrade: the caBundle
the API server holds never changes under a running webhook), else a new CA and serving certificate. Computed once
per render and kept on the root context, so the Secret and both webhook configurations carry the same CA.
*/}}
{{- define "flink-ha-webhook.helmTls" -}}
{{- if not (hasKey . "flinkHaWebhookTls") }}
{{- $name := include "flink-ha-webhook.tlsSecretName" . }}
{{- $existing := lookup "v1" "Secret" .Release.Namespace $name }}
{{- $data := dict }}
{{- if and $existing $existing.data }}{{ $data = $existing.data }}{{ end }}
{{- if and (index $data "tls.crt") (index $data "tls.key") (index $data "ca.crt") }}
{{- $_ := set . "flinkHaWebhookTls" (dict "crt" (index $data "tls.crt") "key" (index $data "tls.key") "ca" (index $data "ca.crt")) }}
{{- else }}
{{- $service := include "flink-ha-webhook.fullname" . }}
{{- $ns := .Release.Namespace }}
{{- $names := list $service (printf "%s.%s" $service $ns) (printf "%s.%s.svc" $service $ns) (printf "%s.%s.svc.cluster.local" $service $ns) }}
{{- $ca := genCA (printf "%s-ca" $service) (int .Values.tls.helm.caValidityDays) }}
{{- $cert := genSignedCert (printf "%s.%s.svc" $service $ns) nil $names (int .Values.tls.helm.certValidityDays) $ca }}
{{- $_ := set . "flinkHaWebhookTls" (dict "crt" ($cert.Cert | b64enc) "key" ($cert.Key | b64enc) "ca" ($ca.Cert | b64enc)) }}
{{- end }}
{{- end }}
{{- toJson (index . "flinkHaWebhookTls") }}
{{- end }}

{{/* The caBundle of every webhook's clientConfig, base64 PEM; empty where cert-manager injects it. */}}
{{- define "flink-ha-webhook.caBundle" -}}
{{- if eq .Values.tls.mode "helm" }}
{{- (include "flink-ha-webhook.helmTls" . | fromJson).ca }}
{{- else if eq .Values.tls.mode "secret" }}
{{- if .Values.tls.caBundle }}
{{- .Values.tls.caBundle }}
{{- else }}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (include "flink-ha-webhook.tlsSecretName" .) }}
{{- if and $existing $existing.data }}{{ index $existing.data "ca.crt" | default "" }}{{ end }}
{{- end }}
{{- end }}
{{- end }}

{{/* metadata.annotations of the webhook configurations: cert-manager's CA injection, and commonAnnotations. */}}
{{- define "flink-ha-webhook.webhookAnnotations" -}}
{{- $annotations := deepCopy (.Values.commonAnnotations | default dict) }}
{{- if eq .Values.tls.mode "cert-manager" }}
{{- $_ := set $annotations "cert-manager.io/inject-ca-from" (printf "%s/%s-serving" .Release.Namespace (include "flink-ha-webhook.fullname" .)) }}
{{- end }}
{{- with $annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
{{- end }}
{{- end }}

{{/* A webhook's clientConfig: the Service, and the caBundle where the chart knows it. Args: (list $ path). */}}
{{- define "flink-ha-webhook.clientConfig" -}}
{{- $ := index . 0 -}}
clientConfig:
  {{- with include "flink-ha-webhook.caBundle" $ }}
  caBundle: {{ . }}
  {{- end }}
  service:
    namespace: {{ $.Release.Namespace }}
    name: {{ include "flink-ha-webhook.fullname" $ }}
    path: {{ index . 1 }}
    port: 443
{{- end }}
