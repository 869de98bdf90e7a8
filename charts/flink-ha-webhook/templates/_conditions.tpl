{{/*
The webhooks' CEL matchConditions, rendered from .Values.config: the same text src/policy/webhook-conditions.ts
makes of the same config (test/unit/chart/match-conditions.test.ts compares them for several configs), so the API
server's filter and the webhook's own judgement of owners and Flink objects cannot drift apart.
*/}}

{{/* A CEL string literal: cel() in webhook-conditions.ts. */}}
{{- define "flink-ha-webhook.cel" -}}
{{- printf "'%s'" (. | replace "\\" "\\\\" | replace "'" "\\'") -}}
{{- end }}

{{- define "flink-ha-webhook.celList" -}}
{{- $quoted := list }}
{{- range . }}{{ $quoted = append $quoted (include "flink-ha-webhook.cel" .) }}{{ end }}
{{- printf "[%s]" (join ", " $quoted) -}}
{{- end }}

{{/* Does ConfigMap .o look like HA state: looksLikeHa() (Flink's labels and names are policy facts, not config). */}}
{{- define "flink-ha-webhook.looksLikeHa" -}}
{{- $o := .o }}{{ $c := .config -}}
(has({{ $o }}.metadata.labels) && ({{ $o }}.metadata.labels.exists(k, (k == 'type' && {{ $o }}.metadata.labels[k] == 'flink-native-kubernetes') ||
   (k == 'configmap-type' && {{ $o }}.metadata.labels[k] == 'high-availability')))) ||
(has({{ $o }}.metadata.name) && {{ $o }}.metadata.name.matches('(-cluster-config-map|-config-map|-dispatcher-leader|-resourcemanager-leader|-restserver-leader|-jobmanager-leader)$') && (
   (has({{ $o }}.metadata.annotations) && {{ include "flink-ha-webhook.celList" (list "control-plane.alpha.kubernetes.io/leader" $c.releaseAnnotation $c.exemptReasonAnnotation) }}.exists(k, k in {{ $o }}.metadata.annotations)) ||
   (has({{ $o }}.metadata.labels) && {{ include "flink-ha-webhook.celList" (list $c.exemptLabel $c.modeLabel) }}.exists(k, k in {{ $o }}.metadata.labels)) ||
   (has({{ $o }}.data) && {{ $o }}.data.exists(k, k.matches('^(checkpointID-[0-9]+|jobGraph-.+|executionPlan-.+|runningJobsRegistry-.+|org[.]apache[.]flink[.]k8s[.]leader[.].+)$'))) ||
   (has({{ $o }}.binaryData) && {{ $o }}.binaryData.exists(k, k.matches('^(checkpointID-[0-9]+|jobGraph-.+|executionPlan-.+|runningJobsRegistry-.+|org[.]apache[.]flink[.]k8s[.]leader[.].+)$')))))
{{- end }}

{{/* ha-configmaps.flink-ha.io, condition ha-state: only writes of HA state (old or new) are sent on. */}}
{{- define "flink-ha-webhook.haStateCondition" -}}
(request.operation != 'DELETE' && (
{{ include "flink-ha-webhook.looksLikeHa" (dict "o" "object" "config" .) }})) ||
(request.operation != 'CREATE' && (
{{ include "flink-ha-webhook.looksLikeHa" (dict "o" "oldObject" "config" .) }})) ||
(request.operation == 'CREATE' && has(object.metadata.name) && object.metadata.name.matches('^[a-z]([-a-z0-9]{0,43}[a-z0-9])?-(cluster-config-map|dispatcher-leader|resourcemanager-leader|restserver-leader|[0-9a-f]{32}-config-map|[0-9a-f]{32}-jobmanager-leader)$'))
{{- end }}

{{/* Is the release annotation in .o's annotations: annotated() in webhook-conditions.ts. */}}
{{- define "flink-ha-webhook.annotated" -}}
(has({{ .o }}.metadata.annotations) && {{ include "flink-ha-webhook.cel" .key }} in {{ .o }}.metadata.annotations)
{{- end }}

{{/* A namespace CREATE carrying the release annotation, or an UPDATE that sets, changes or removes it: releaseChanged(). */}}
{{- define "flink-ha-webhook.releaseChanged" -}}
{{- $now := include "flink-ha-webhook.annotated" (dict "o" "object" "key" .releaseAnnotation) }}
{{- $was := include "flink-ha-webhook.annotated" (dict "o" "oldObject" "key" .releaseAnnotation) }}
{{- $key := include "flink-ha-webhook.cel" .releaseAnnotation -}}
(request.operation == 'CREATE' ? {{ $now }} :
 ({{ $now }} != {{ $was }} ||
  ({{ $now }} && {{ $was }} &&
   object.metadata.annotations[{{ $key }}] != oldObject.metadata.annotations[{{ $key }}])))
{{- end }}

{{/* namespaces.flink-ha.io, condition delete-unlabel-or-release: namespaceMatchConditions().labelled. */}}
{{- define "flink-ha-webhook.namespaceLabelledCondition" -}}
{{- $label := include "flink-ha-webhook.cel" .haStateNamespaceLabel -}}
request.operation == 'DELETE' ||
(has(oldObject.metadata.labels) && {{ $label }} in oldObject.metadata.labels &&
 !(has(object.metadata.labels) && {{ $label }} in object.metadata.labels)) ||
{{ include "flink-ha-webhook.releaseChanged" . }}
{{- end }}

{{/*
ha-configmaps.flink-ha.io, condition not-an-owner-write: owners' writes without an ownerReference skip the webhook;
every DELETE is decided (CEL cannot check that the pod a token names exists). An operator entry `name` matches in any namespace, `namespace:name` exactly.
*/}}
{{- define "flink-ha-webhook.ownerCondition" -}}
{{- $owners := list (printf "request.userInfo.username == 'system:serviceaccount:' + request.namespace + %s" (include "flink-ha-webhook.cel" (printf ":%s" .haServiceAccount))) }}
{{- range .operatorServiceAccounts }}
{{- if contains ":" . }}
{{- $parts := splitn ":" 2 . }}
{{- $owners = append $owners (printf "request.userInfo.username == %s" (include "flink-ha-webhook.cel" (printf "system:serviceaccount:%s:%s" $parts._0 $parts._1))) }}
{{- else }}
{{- $owners = append $owners (printf "request.userInfo.username.matches(%s)" (include "flink-ha-webhook.cel" (printf "^system:serviceaccount:[a-z0-9]([-a-z0-9]*[a-z0-9])?:%s$" (replace "." "[.]" .)))) }}
{{- end }}
{{- end -}}
request.operation == 'DELETE' ||
(has(object.metadata.ownerReferences) && size(object.metadata.ownerReferences) > 0) ||
!(({{ join " ||\n   " $owners }}){{ if .requirePodBoundToken }} &&
  has(request.userInfo.extra) && 'authentication.kubernetes.io/pod-name' in request.userInfo.extra{{ end }})
{{- end }}

{{/* workloads.flink-ha.io (both): only objects with a container the policy would take for Flink's. */}}
{{- define "flink-ha-webhook.workloadCondition" -}}
{{- $matches := list }}
{{- range .imagePatterns }}{{ $matches = append $matches (printf "c.image.matches(%s)" (include "flink-ha-webhook.cel" .)) }}{{ end }}
{{- $container := printf "c.name == 'flink-main-container' ||\n    (has(c.args) && size(c.args) > 0 && c.args[0] in ['jobmanager', 'standalone-job', 'taskmanager']) ||\n    (has(c.image) && (%s))" (join " || " $matches) -}}
request.resource.resource in ['flinkdeployments', 'flinkbluegreendeployments', 'flinksessionjobs'] ||
(request.resource.resource == 'configmaps' &&
  ((has(object.data) && ('flink-conf.yaml' in object.data || 'config.yaml' in object.data)) ||
   (has(object.metadata.name) && object.metadata.name.startsWith('flink-config')))) ||
(request.resource.resource == 'pods' && has(object.spec) && has(object.spec.containers) && object.spec.containers.exists(c,
    {{ $container }})) ||
(request.resource.resource in ['deployments', 'statefulsets', 'jobs'] && has(object.spec) && has(object.spec.template) &&
  has(object.spec.template.spec) && has(object.spec.template.spec.containers) && object.spec.template.spec.containers.exists(c,
    {{ $container }}))
{{- end }}

{{/*
The flink.apache.org entries, condition not-the-operators-update: the operator's own UPDATEs of its resources
(finalizers, annotations) skip the webhook (notTheOperatorsUpdate() in webhook-conditions.ts).
*/}}
{{- define "flink-ha-webhook.notTheOperatorsUpdate" -}}
{{- $operators := list }}
{{- range .operatorServiceAccounts }}
{{- if contains ":" . }}
{{- $parts := splitn ":" 2 . }}
{{- $operators = append $operators (printf "request.userInfo.username == %s" (include "flink-ha-webhook.cel" (printf "system:serviceaccount:%s:%s" $parts._0 $parts._1))) }}
{{- else }}
{{- $operators = append $operators (printf "request.userInfo.username.matches(%s)" (include "flink-ha-webhook.cel" (printf "^system:serviceaccount:[a-z0-9]([-a-z0-9]*[a-z0-9])?:%s$" (replace "." "[.]" .)))) }}
{{- end }}
{{- end -}}
{{- if not $operators -}}
true
{{- else -}}
!(request.resource.group == 'flink.apache.org' && request.operation == 'UPDATE' &&
  ({{ join " ||\n   " $operators }}){{ if .requirePodBoundToken }} &&
  has(request.userInfo.extra) && 'authentication.kubernetes.io/pod-name' in request.userInfo.extra{{ end }})
{{- end }}
{{- end }}

{{/* flink-resources.flink-ha.io, condition delete-or-release-mark: deletes, and creates and updates that set or change the release mark. */}}
{{- define "flink-ha-webhook.frontDoorCondition" -}}
{{- $k := include "flink-ha-webhook.cel" .releaseAnnotation -}}
request.operation == 'DELETE' ||
(request.operation == 'CREATE' && has(object.metadata.annotations) && {{ $k }} in object.metadata.annotations) ||
(request.operation == 'UPDATE' && (has(object.metadata.annotations) && {{ $k }} in object.metadata.annotations ? object.metadata.annotations[{{ $k }}] : '') !=
(has(oldObject.metadata.annotations) && {{ $k }} in oldObject.metadata.annotations ? oldObject.metadata.annotations[{{ $k }}] : ''))
{{- end }}
