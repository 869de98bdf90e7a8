// The CEL matchConditions of the HA ConfigMap webhook, generated from the same facts and config as the policy,
// so the API server's filter and the webhook's judgement cannot drift apart. manifests/ holds their output for
// the default config (a unit test checks it); `flink-ha-webhook match-conditions --config F` prints them for yours.
import type { WebhookConfig } from '../config/types.ts';
import { DISTINCTIVE_HA_KEY_SOURCE, HA_LABELS, HA_NAME_SOURCE, HA_STATE_NAME_SOURCE, LEADER_ANNOTATION } from '../flink/ha-configmap.ts';
import { markKeysOf } from './ha-owned-fields.ts';
import { POD_NAME_EXTRA } from './requester.ts';
import { FLINK_ENTRYPOINTS } from '../flink/workload.ts';

export interface MatchCondition {
  name: string;
  expression: string;
}

const cel = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const celList = (xs: string[]) => `[${xs.map(cel).join(', ')}]`;

/** CEL: does ConfigMap `o` look like HA state (a superset of the policy's looksLikeHaState)? */
function looksLikeHa(o: string, config: WebhookConfig): string {
  const marks = markKeysOf(config);
  return [
    `(has(${o}.metadata.labels) && (${o}.metadata.labels.exists(k, (k == 'type' && ${o}.metadata.labels[k] == ${cel(HA_LABELS.type)}) ||`,
    `   (k == 'configmap-type' && ${o}.metadata.labels[k] == ${cel(HA_LABELS.configmapType)})))) ||`,
    `(has(${o}.metadata.name) && ${o}.metadata.name.matches(${cel(HA_NAME_SOURCE)}) && (`,
    `   (has(${o}.metadata.annotations) && ${celList([LEADER_ANNOTATION, ...marks.markAnnotations])}.exists(k, k in ${o}.metadata.annotations)) ||`,
    `   (has(${o}.metadata.labels) && ${celList(marks.markLabels)}.exists(k, k in ${o}.metadata.labels)) ||`,
    `   (has(${o}.data) && ${o}.data.exists(k, k.matches(${cel(DISTINCTIVE_HA_KEY_SOURCE)}))) ||`,
    `   (has(${o}.binaryData) && ${o}.binaryData.exists(k, k.matches(${cel(DISTINCTIVE_HA_KEY_SOURCE)})))))`,
  ].join('\n');
}

/** The operator ServiceAccounts' usernames, exactly; `name` entries match in any namespace (see README: trust model). */
function operatorUsernames(config: WebhookConfig): string[] {
  return config.operatorServiceAccounts.map((entry) => {
    const colon = entry.indexOf(':');
    return colon < 0
      ? `request.userInfo.username.matches(${cel(`^system:serviceaccount:[a-z0-9]([-a-z0-9]*[a-z0-9])?:${entry.replace(/\./g, '[.]')}$`)})`
      : `request.userInfo.username == ${cel(`system:serviceaccount:${entry.slice(0, colon)}:${entry.slice(colon + 1)}`)}`;
  });
}

/** An owner ServiceAccount's username: the namespace's HA ServiceAccount or an operator's. */
function ownerUsername(config: WebhookConfig): string {
  return [`request.userInfo.username == ${cel('system:serviceaccount:')} + request.namespace + ${cel(`:${config.haServiceAccount}`)}`, ...operatorUsernames(config)].join(' ||\n   ');
}

/** `&& <the token is bound to a pod>`, when the config requires it of owners. */
function podBoundClause(config: WebhookConfig): string {
  return config.requirePodBoundToken ? ` &&\n  has(request.userInfo.extra) && ${cel(POD_NAME_EXTRA)} in request.userInfo.extra` : '';
}

/**
 * The operator's own UPDATEs of its resources (finalizers, annotations; status is a subresource no rule matches)
 * never wait on the webhook: it judges what people and tools write, and the operator is an HA owner anyway.
 */
function notTheOperatorsUpdate(config: WebhookConfig): MatchCondition {
  const operators = operatorUsernames(config);
  return {
    name: 'not-the-operators-update',
    expression: operators.length === 0
      ? 'true'
      : `!(request.resource.group == 'flink.apache.org' && request.operation == 'UPDATE' &&\n  (${operators.join(' ||\n   ')})${podBoundClause(config)})`,
  };
}

export function haConfigMapMatchConditions(config: WebhookConfig): MatchCondition[] {
  const podBound = podBoundClause(config);
  return [
    {
      // Every ConfigMap write is matched by the rules; only HA state (old or new) is sent on.
      // A CREATE under a name Flink's HA will use is HA state whatever it holds (takesHaStateName).
      name: 'ha-state',
      expression: `(request.operation != 'DELETE' && (\n${looksLikeHa('object', config)})) ||\n(request.operation != 'CREATE' && (\n${looksLikeHa('oldObject', config)})) ||\n` +
        `(request.operation == 'CREATE' && has(object.metadata.name) && object.metadata.name.matches(${cel(HA_STATE_NAME_SOURCE)}))`,
    },
    {
      // Owners' writes without an ownerReference (leader renewals, checkpoint pointers, every few seconds) are
      // always allowed by the policy: skipping them means Flink never waits on the webhook, up or down. CEL sees only
      // that a pod-name extra is there, which anyone allowed to impersonate user extras can send; so every DELETE
      // (rare: a finished job's cleanup, the operator's) is decided, where the webhook checks the Pod (requester.ts).
      name: 'not-an-owner-write',
      expression: `request.operation == 'DELETE' ||\n(has(object.metadata.ownerReferences) && size(object.metadata.ownerReferences) > 0) ||\n!((${ownerUsername(config)})${podBound})`,
    },
  ];
}

const annotated = (o: string, key: string) => `(has(${o}.metadata.annotations) && ${cel(key)} in ${o}.metadata.annotations)`;

/** CEL: a namespace CREATE that carries the release annotation, or an UPDATE that sets, changes or removes it. */
function releaseChanged(config: WebhookConfig): string {
  const key = cel(config.releaseAnnotation);
  const now = annotated('object', config.releaseAnnotation);
  const was = annotated('oldObject', config.releaseAnnotation);
  return `(request.operation == 'CREATE' ? ${now} :\n (${now} != ${was} ||\n  (${now} && ${was} &&\n   object.metadata.annotations[${key}] != oldObject.metadata.annotations[${key}])))`;
}

/**
 * The namespaces webhooks' filters. `labelled` (namespaces.flink-ha.io, the namespaces `serve` labelled as holding
 * HA state, fail closed): deletions, taking that label off, and any change of the release annotation. `release`
 * (releasing-namespaces.flink-ha.io, every other namespace, fail closed too): only changes of the release annotation,
 * which would let the next deletion through once Flink has written HA state there.
 */
export function namespaceMatchConditions(config: WebhookConfig): { labelled: MatchCondition[]; release: MatchCondition[] } {
  const label = cel(config.haStateNamespaceLabel);
  const unlabel = `(has(oldObject.metadata.labels) && ${label} in oldObject.metadata.labels &&\n !(has(object.metadata.labels) && ${label} in object.metadata.labels))`;
  return {
    labelled: [{ name: 'delete-unlabel-or-release', expression: `request.operation == 'DELETE' ||\n${unlabel} ||\n${releaseChanged(config)}` }],
    release: [{ name: 'release-changed', expression: releaseChanged(config) }],
  };
}

/**
 * The workloads webhooks' filter: only objects the policy can recognise as Flink reach the webhook. A pod (or a
 * controller's pod template) with a container the policy would take for Flink's: named flink-main-container (the
 * operator's), started with a Flink entrypoint (jobmanager, taskmanager, standalone-job), or of an image matching
 * `imagePatterns`; a ConfigMap carrying a Flink config file; every operator resource. Labels alone (`app`,
 * `component`) say nothing: nearly every pod has them.
 */
export function workloadMatchConditions(config: WebhookConfig): MatchCondition[] {
  const flinkContainer = (c: string) => [
    `${c}.name == 'flink-main-container'`,
    `(has(${c}.args) && size(${c}.args) > 0 && ${c}.args[0] in ${celList([...FLINK_ENTRYPOINTS].sort())})`,
    `(has(${c}.image) && (${config.imagePatterns.map((p) => `${c}.image.matches(${cel(p)})`).join(' || ')}))`,
  ].join(' ||\n    ');
  const containers = (path: string) => `has(${path}.containers) && ${path}.containers.exists(c,\n    ${flinkContainer('c')})`;
  return [{
    name: 'flink-objects-only',
    expression: [
      `request.resource.resource in ['flinkdeployments', 'flinkbluegreendeployments', 'flinksessionjobs'] ||`,
      `(request.resource.resource == 'configmaps' &&`,
      `  ((has(object.data) && ('flink-conf.yaml' in object.data || 'config.yaml' in object.data)) ||`,
      `   (has(object.metadata.name) && object.metadata.name.startsWith('flink-config')))) ||`,
      `(request.resource.resource == 'pods' && has(object.spec) && ${containers('object.spec')}) ||`,
      `(request.resource.resource in ['deployments', 'statefulsets', 'jobs'] && has(object.spec) && has(object.spec.template) &&`,
      `  has(object.spec.template.spec) && ${containers('object.spec.template.spec')})`,
    ].join('\n'),
  }, notTheOperatorsUpdate(config)];
}

/**
 * The front door's filter (flinkdeployments and flinksessionjobs, fail closed): every DELETE, and the CREATEs and
 * UPDATEs that set, change or remove the release annotation. Ordinary spec edits stay on the fail-open workloads webhooks.
 */
export function frontDoorMatchConditions(config: WebhookConfig): MatchCondition[] {
  const mark = (o: string) => `(has(${o}.metadata.annotations) && ${cel(config.releaseAnnotation)} in ${o}.metadata.annotations ? ${o}.metadata.annotations[${cel(config.releaseAnnotation)}] : '')`;
  return [
    {
      name: 'delete-or-release-mark',
      // oldObject is null on CREATE: it is read only on UPDATE (an error here would refuse the request).
      expression: `request.operation == 'DELETE' ||\n(request.operation == 'CREATE' && has(object.metadata.annotations) && ${cel(config.releaseAnnotation)} in object.metadata.annotations) ||\n(request.operation == 'UPDATE' && ${mark('object')} !=\n${mark('oldObject')})`,
    },
    notTheOperatorsUpdate(config),
  ];
}
