// The audit itself, for both sources: judge every object with the policy, run the whole-cluster checks over the
// inventory, and merge the two (a check that restates what the policy already said about an object is dropped).
import type { WebhookConfig } from '../config/types.ts';
import { OFFLINE_CLUSTER, type ClusterView } from '../policy/types.ts';
import { manifestProblem, readManifests, whereOf } from '../sources/manifests.ts';
import { runClusterChecks } from './checks/index.ts';
import { buildInventory, type ClusterExtras } from './inventory.ts';
import { judgeObjects, type AuditItem } from './judge.ts';
import { inventoryClusterView } from './snapshot-view.ts';
import type { AuditFinding, AuditReport, InputError } from './types.ts';
import type { ClusterRead } from '../sources/cluster.ts';

export interface ManifestAuditOptions {
  inputs: string[];
  stdinText?: string;
  config: WebhookConfig;
  defaultNamespace?: string;
}

export async function auditManifests(options: ManifestAuditOptions): Promise<AuditReport> {
  const read = readManifests(options.inputs, options.stdinText);
  const errors: InputError[] = read.errors.map((e) => ({ where: whereOf(e), message: e.message }));
  const items: AuditItem[] = [];
  for (const d of read.documents) {
    // The same input check as dry-run: a document that is no Kubernetes object is an input error, not "no findings".
    const problem = manifestProblem(d.object);
    if (problem) errors.push({ where: whereOf(d.source), message: problem });
    else items.push({ object: d.object, file: d.source.file, line: d.source.line, item: d.source.item });
  }
  const report = await auditItems(items, options.config, OFFLINE_CLUSTER, undefined, options.defaultNamespace);
  return { source: { type: 'manifests', inputs: options.inputs }, ...report, errors };
}

export interface ItemsAudit {
  objects: number;
  findings: AuditFinding[];
}

/** Judges `items` with `cluster` answering the policy's questions (a live audit passes `extras` and no view). */
export async function auditItems(items: AuditItem[], config: WebhookConfig, cluster?: ClusterView, extras?: ClusterExtras, defaultNamespace = 'default'): Promise<ItemsAudit> {
  const inv = buildInventory(items, config, extras, defaultNamespace);
  const view = cluster ?? inventoryClusterView(inv);
  const judged = await judgeObjects(items, { config, cluster: view }, defaultNamespace, inv.clusterIdOf);
  // Where a whole-cluster check and the policy say the same thing about the same object, the check's wording
  // stays: it describes the object as it is (owned by X, sharing its id with Y), while the policy's speaks of a
  // CREATE by the auditor. A policy finding that says something else (a cluster-id it would set) stays too.
  const checks = runClusterChecks(inv, config);
  const restated = new Set(checks.map((f) => `${keyOf(f)}\u0000${f.action}`));
  const policy = judged.findings.filter((f) => !restated.has(`${keyOf(f)}\u0000${f.action}`));
  return { objects: judged.objects, findings: [...policy, ...checks] };
}

function keyOf(f: AuditFinding): string {
  return `${f.rule}\u0000${f.kind}\u0000${f.namespace ?? ''}\u0000${f.name}`;
}

/** A live audit of what `readCluster` listed; missing permissions become `audit-permission` findings. */
export async function auditCluster(read: ClusterRead, config: WebhookConfig): Promise<AuditReport> {
  const defaultNamespace = read.namespaces === 'all' ? 'default' : (read.namespaces[0] ?? 'default');
  const audited = await auditItems(read.items, config, undefined, read.extras, defaultNamespace);
  const permissions: AuditFinding[] = read.missing.map((m) => ({
    rule: 'audit-permission',
    action: 'unchecked',
    message: `missing permission: ${m.verb} ${m.resource}${m.namespace ? ` in namespace ${m.namespace}` : ' (cluster-wide)'}; ${m.consequence}`,
    fix: `Grant ${m.verb} on ${m.resource} (see manifests/audit-reader-clusterrole.yaml)`,
    kind: 'Permission',
    name: `${m.verb} ${m.resource}`,
    namespace: m.namespace,
  }));
  return {
    source: { type: 'cluster', context: read.context, namespaces: read.namespaces },
    objects: audited.objects,
    findings: [...audited.findings, ...permissions],
    errors: [],
  };
}
