// The CEL matchConditions of the HA ConfigMap webhook, generated from the same facts and config as the policy,
// so the API server's filter and the webhook's judgement cannot drift apart. manifests/ holds their output for
// the default config (a unit test checks it); `flink-ha-webhook match-conditions --config F` prints them for yours.
import type { WebhookConfig } from '../config/types.ts';
import { DISTINCTIVE_HA_KEY_SOURCE, HA_LABELS, HA_NAME_SOURCE, LEADER_ANNOTATION } from '../flink/ha-configmap.ts';
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

/** An owner ServiceAccount's username, exactly; `name` entries match in any namespace (see README: trust model). */
function ownerUsername(config: WebhookConfig): string {
  const operators = config.operatorServiceAccounts.map((entry) => {
    const colon = entry.indexOf(':');
    return colon < 0
      ? `request.userInfo.username.matches(${cel(`^system:serviceaccount:[a-z0-9]([-a-z0-9]*[a-z0-9])?:${entry.replace(/\./g, '[.]')}$`)})`
      : `request.userInfo.username == ${cel(`system:serviceaccount:${entry.slice(0, colon)}:${entry.slice(colon + 1)}`)}`;
  });
  return [`request.userInfo.username == ${cel('system:serviceaccount:')} + request.namespace + ${cel(`:${config.haServiceAccount}`)}`, ...operators].join(' ||\n   ');
}

export function haConfigMapMatchConditions(config: WebhookConfig): MatchCondition[] {
  const podBound = config.requirePodBoundToken
    ? ` &&\n  has(request.userInfo.extra) && ${cel(POD_NAME_EXTRA)} in request.userInfo.extra`
    : '';
  return [
    {
      // Every ConfigMap write is matched by the rules; only HA state (old or new) is sent on.
      name: 'ha-state',
      expression: `(request.operation != 'DELETE' && (\n${looksLikeHa('object', config)})) ||\n(request.operation != 'CREATE' && (\n${looksLikeHa('oldObject', config)}))`,
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
  }];
}
