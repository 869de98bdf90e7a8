// The audit itself, for both sources: judge every object of the snapshot with the policy, run the whole-cluster
// checks over the inventory, and merge the two (a check that restates what the policy already said about an object
// is dropped).
import type { WebhookConfig } from '../config/types.ts';
import { compiledImagePatterns, indexSnapshot } from '../snapshot/index.ts';
import type { Snapshot } from '../snapshot/snapshot.ts';
import { whereOf } from '../sources/manifests.ts';
import type { ClusterRead } from '../sources/cluster.ts';
import { runClusterChecks } from './checks/index.ts';
import { buildInventory } from './inventory.ts';
import { judgeObjects } from './judge.ts';
import type { AuditFinding, AuditReport } from './types.ts';

export async function auditManifestSnapshot(snapshot: Snapshot, inputs: string[], errors: Array<{ file: string; line?: number; item?: number; message: string }>, config: WebhookConfig): Promise<AuditReport> {
  const audited = await auditSnapshot(snapshot, config);
  return { source: { type: 'manifests', inputs }, ...audited, errors: errors.map((e) => ({ where: whereOf(e), message: e.message })) };
}

export interface ItemsAudit {
  objects: number;
  findings: AuditFinding[];
}

/** Judges a snapshot (files or a live read) and adds what only the whole of it shows. */
export async function auditSnapshot(snapshot: Snapshot, config: WebhookConfig): Promise<ItemsAudit> {
  // One index of the objects, for the policy's view and the whole-cluster checks alike.
  const index = indexSnapshot(snapshot, compiledImagePatterns(config));
  const judged = await judgeObjects(index, config);
  const inv = buildInventory(index);
  // Where a whole-cluster check and the policy say the same thing about the same object, the check's wording
  // stays: it describes the object as it is (owned by X, sharing its id with Y), while the policy's speaks of a
  // CREATE by the auditor. A policy finding that says something else (a cluster-id it would set) stays too.
  const checks = runClusterChecks(inv, config);
  const restated = new Set(checks.map((f) => `${keyOf(f)}\u0000${f.action}`));
  const policy = judged.filter((f) => !restated.has(`${keyOf(f)}\u0000${f.action}`));
  return { objects: snapshot.objects.length, findings: [...policy, ...checks] };
}

function keyOf(f: AuditFinding): string {
  return `${f.rule}\u0000${f.kind}\u0000${f.namespace ?? ''}\u0000${f.name}`;
}

/** A live audit of what `readCluster` listed; missing permissions become `audit-permission` findings. */
export async function auditCluster(read: ClusterRead, config: WebhookConfig): Promise<AuditReport> {
  const audited = await auditSnapshot(read.snapshot, config);
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
