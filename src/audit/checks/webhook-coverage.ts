// Is the webhook installed, with which failure policy, and does it see every namespace that holds HA state? A
// namespace it does not cover (excluded in config, or missed by a namespaceSelector) has no guard against
// `kubectl delete cm` or a namespace deletion, whatever the policy says.
import type { KubeObject } from '../../kube/objects.ts';
import type { WebhookConfig } from '../../config/types.ts';
import { selectorMatches, type LabelSelector } from '../label-selector.ts';
import type { Inventory } from '../inventory.ts';
import type { AuditFinding } from '../types.ts';
import { frontDoorMatchConditions, haConfigMapMatchConditions, namespaceMatchConditions, workloadMatchConditions, type MatchCondition } from '../../policy/webhook-conditions.ts';

interface Webhook {
  name: string;
  matchConditions?: Array<{ name?: string; expression?: string }>;
  failurePolicy?: string;
  namespaceSelector?: LabelSelector;
  objectSelector?: LabelSelector;
  rules?: Array<{ resources?: string[]; operations?: string[] }>;
}

const NAME = 'flink-ha-webhook';

export function webhookCoverage(inv: Inventory, config: WebhookConfig): AuditFinding[] {
  const configs = inv.facts.webhookConfigurations;
  if (!inv.live || configs === undefined) return [];
  const out: AuditFinding[] = [];
  const haNamespaces = [...new Set(inv.haConfigMaps.map((c) => c.namespace))].sort();
  const mutating = configs.mutating.filter(isOurs);
  const validating = configs.validating.filter(isOurs);

  const clusterWide = (kind: string, name: string) => ({ kind, apiVersion: 'admissionregistration.k8s.io/v1', name });
  if (mutating.length === 0) {
    out.push({
      rule: 'webhook-coverage',
      action: 'warned',
      message: 'no MutatingWebhookConfiguration of flink-ha-webhook is installed: Flink workloads are not given the HA settings they lack',
      fix: 'Install the webhook: kubectl apply -k manifests/',
      ...clusterWide('MutatingWebhookConfiguration', NAME),
    });
  } else {
    for (const c of mutating) out.push(installed(c, 'MutatingWebhookConfiguration', clusterWide));
  }
  const guards = validating.flatMap((c) => webhooksOf(c)).filter(guardsConfigMapDeletes);
  if (validating.length === 0 || guards.length === 0) {
    out.push({
      rule: 'webhook-coverage',
      action: 'warned',
      message: `no ValidatingWebhookConfiguration of flink-ha-webhook guards HA ConfigMaps: nothing stops their deletion${haNamespaces.length > 0 ? ` in ${haNamespaces.join(', ')}` : ''}`,
      fix: 'Install the webhook: kubectl apply -k manifests/',
      ...clusterWide('ValidatingWebhookConfiguration', NAME),
    });
    return out;
  }
  for (const c of validating) out.push(installed(c, 'ValidatingWebhookConfiguration', clusterWide));
  for (const [c, kind] of [...mutating.map((m) => [m, 'MutatingWebhookConfiguration'] as const), ...validating.map((v) => [v, 'ValidatingWebhookConfiguration'] as const)]) {
    out.push(...conditionDrift(c, kind, config, clusterWide));
  }

  const nsLabels = new Map((inv.facts.namespaces ?? []).map((n) => [n.metadata?.name ?? '', n.metadata?.labels ?? {}]));
  for (const ns of haNamespaces) {
    const labels = { 'kubernetes.io/metadata.name': ns, ...(nsLabels.get(ns) ?? {}) };
    const problems: string[] = [];
    if (config.excludedNamespaces.includes(ns)) problems.push('it is in the webhook\'s excludedNamespaces');
    const covering = guards.filter((w) => selectorMatches(w.namespaceSelector, labels));
    if (covering.length === 0) problems.push(`the namespaceSelector of ${guards.map((w) => w.name).join(', ')} does not match it`);
    else if (covering.every((w) => w.failurePolicy === 'Ignore')) problems.push('its guard has failurePolicy Ignore: while the webhook is down, deletions go through');
    const missed = inv.haConfigMaps.filter((c) => c.namespace === ns && covering.length > 0 && !covering.some((w) => selectorMatches(w.objectSelector, c.item.object.metadata?.labels ?? {})));
    if (missed.length > 0) problems.push(`the objectSelector misses ${missed.length} HA ConfigMaps (${missed.map((c) => c.name).slice(0, 3).join(', ')}${missed.length > 3 ? ', ...' : ''})`);
    if (problems.length === 0) continue;
    const clusters = [...new Set(inv.haConfigMaps.filter((c) => c.namespace === ns).map((c) => c.clusterId))].sort();
    out.push({
      rule: 'webhook-coverage',
      action: 'warned',
      message: `namespace ${ns} holds HA state of Flink cluster(s) ${clusters.join(', ')}, but the webhook does not guard it: ${problems.join('; ')}`,
      fix: 'Remove the namespace from excludedNamespaces / make the ha-configmaps webhook\'s selectors match it, with failurePolicy Fail',
      kind: 'Namespace',
      apiVersion: 'v1',
      name: ns,
    });
  }
  return out;
}

function installed(c: KubeObject, kind: string, at: (kind: string, name: string) => { kind: string; apiVersion: string; name: string }): AuditFinding {
  const policies = webhooksOf(c).map((w) => `${w.name} failurePolicy ${w.failurePolicy ?? 'Fail'}`);
  return {
    rule: 'webhook-coverage',
    action: 'passed',
    message: `${kind} ${c.metadata?.name} is installed: ${policies.join(', ') || 'no webhooks'}`,
    ...at(kind, c.metadata?.name ?? NAME),
  };
}

function isOurs(c: KubeObject): boolean {
  return c.metadata?.name === NAME || webhooksOf(c).some((w) => w.name.endsWith('.flink-ha.io'));
}

function webhooksOf(c: KubeObject): Webhook[] {
  return Array.isArray(c.webhooks) ? (c.webhooks as Webhook[]).filter((w) => typeof w?.name === 'string') : [];
}

function guardsConfigMapDeletes(w: Webhook): boolean {
  return (w.rules ?? []).some(
    (r) => (r.resources ?? []).some((x) => x === 'configmaps' || x === '*') && (r.operations ?? []).some((o) => o === 'DELETE' || o === '*'),
  );
}

/**
 * The installed matchConditions must be what this config generates (src/policy/webhook-conditions.ts): else the API
 * server skips or sends other writes than the policy expects (an owner renamed in the config but not in the
 * conditions makes Flink's renewals wait on the webhook, or lets an impostor's writes skip it).
 */
function conditionDrift(c: KubeObject, kind: string, config: WebhookConfig, at: (kind: string, name: string) => { kind: string; apiVersion: string; name: string }): AuditFinding[] {
  const expected: Record<string, MatchCondition[]> = {
    'ha-configmaps.flink-ha.io': haConfigMapMatchConditions(config),
    'workloads.flink-ha.io': workloadMatchConditions(config),
    'namespaces.flink-ha.io': namespaceMatchConditions(config).labelled,
    'releasing-namespaces.flink-ha.io': namespaceMatchConditions(config).release,
    'flink-resources.flink-ha.io': frontDoorMatchConditions(config),
  };
  const out: AuditFinding[] = [];
  for (const w of webhooksOf(c)) {
    const want = expected[w.name];
    if (!want) continue;
    const have = (w.matchConditions ?? []).map((m) => ({ name: m.name, expression: m.expression }));
    if (JSON.stringify(have) === JSON.stringify(want)) continue;
    out.push({
      rule: 'webhook-coverage',
      action: 'warned',
      message: `the matchConditions of ${w.name} are not what this config generates: the API server skips or sends other writes than the policy expects (owners, marks or image patterns out of step)`,
      fix: 'Regenerate them from the webhook\'s config: flink-ha-webhook match-conditions --config <the webhook\'s config>, and apply',
      ...at(kind, c.metadata?.name ?? NAME),
    });
  }
  return out;
}
