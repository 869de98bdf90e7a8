// Per-object audit: the webhook's own policy asked "what would you do if this object were applied now?" (a CREATE
// review, both phases, judged by src/snapshot/judge.ts exactly as dry-run judges it), its findings pointed at the
// object and its file.
import type { WebhookConfig } from '../config/types.ts';
import { clusterOf, type SnapshotIndex } from '../snapshot/index.ts';
import { judgeSnapshot } from '../snapshot/judge.ts';
import type { AuditFinding } from './types.ts';

/** The requester the policy sees: nobody's ServiceAccount, so no owner privilege applies. */
export const AUDIT_REQUESTER = { username: 'flink-ha-webhook:audit', groups: ['system:authenticated'] };

/** Every object's policy findings, in input order, each with the Flink cluster it belongs to (reports group by it). */
export async function judgeObjects(index: SnapshotIndex, config: WebhookConfig): Promise<AuditFinding[]> {
  const judged = await judgeSnapshot(index, { config, operation: 'CREATE', requester: AUDIT_REQUESTER });
  const findings: AuditFinding[] = [];
  for (let i = 0; i < judged.length; i++) {
    const { entry, namespace, decision } = judged[i]!;
    if (decision.findings.length === 0) continue;
    const obj = entry.object;
    const where = {
      kind: obj.kind ?? '(no kind)',
      apiVersion: obj.apiVersion,
      namespace: obj.kind === 'Namespace' ? undefined : namespace,
      name: obj.metadata?.name ?? obj.metadata?.generateName ?? '(unnamed)',
      file: entry.origin?.file,
      line: entry.origin?.line,
      ...(entry.origin?.item !== undefined ? { item: entry.origin.item } : {}),
      // judgeSnapshot answers in input order: the i-th result is the index's i-th object.
      clusterId: clusterOf(index, index.objects[i]!),
    };
    for (const f of decision.findings) findings.push({ rule: f.rule, action: f.action, message: f.message, fix: f.fix, ...where });
  }
  return findings;
}
