// Per-object audit: the webhook's own policy asked "what would you do if this object were applied now?" (a CREATE
// review, both phases, judged by src/snapshot/judge.ts exactly as dry-run judges it), its findings pointed at the
// object and its file.
import type { WebhookConfig } from '../config/types.ts';
import { judgeSnapshot } from '../snapshot/judge.ts';
import type { Snapshot, SnapshotObject } from '../snapshot/snapshot.ts';
import type { AuditFinding } from './types.ts';

/** An audited object with its origin (file and line for manifests; none for a live read). */
export type AuditItem = SnapshotObject;

/** The requester the policy sees: nobody's ServiceAccount, so no owner privilege applies. */
export const AUDIT_REQUESTER = { username: 'flink-ha-webhook:audit', groups: ['system:authenticated'] };

/** Every object's policy findings, in input order; `clusterIdOf` groups them by Flink cluster in reports. */
export async function judgeObjects(snapshot: Snapshot, config: WebhookConfig, clusterIdOf: (item: AuditItem) => string | undefined): Promise<AuditFinding[]> {
  const judged = await judgeSnapshot(snapshot, { config, operation: 'CREATE', requester: AUDIT_REQUESTER });
  const findings: AuditFinding[] = [];
  for (const { entry, namespace, decision } of judged) {
    const obj = entry.object;
    const where = {
      kind: obj.kind ?? '(no kind)',
      apiVersion: obj.apiVersion,
      namespace: obj.kind === 'Namespace' ? undefined : namespace,
      name: obj.metadata?.name ?? obj.metadata?.generateName ?? '(unnamed)',
      file: entry.file,
      line: entry.line,
      ...(entry.item !== undefined ? { item: entry.item } : {}),
      clusterId: clusterIdOf(entry),
    };
    for (const f of decision.findings) findings.push({ rule: f.rule, action: f.action, message: f.message, fix: f.fix, ...where });
  }
  return findings;
}
