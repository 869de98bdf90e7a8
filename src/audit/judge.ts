// Per-object audit: asks the webhook's own policy "what would you do if this object were applied now?" (a CREATE
// review, both phases) and turns the decision's findings into audit findings that point at the object and its file.
import { decide } from '../policy/decide.ts';
import type { PolicyContext, PolicyRequest } from '../policy/types.ts';
import type { KubeObject } from '../kube/objects.ts';
import { haConfigMapClusterId } from '../flink/ha-configmap.ts';
import { flinkWorkloadOf } from './flink-workloads.ts';
import type { AuditFinding } from './types.ts';

export interface AuditItem {
  object: KubeObject;
  /** Where a manifest came from (folder audits). */
  file?: string;
  line?: number;
  /** The item's index, for an item of a List document. */
  item?: number;
}

/** The requester the policy sees: nobody's ServiceAccount, so no owner privilege applies. */
export const AUDIT_REQUESTER = { username: 'flink-ha-webhook:audit', groups: ['system:authenticated'] };

/**
 * Judges each object in turn (sequentially: the ClusterView answers from memory, so there is nothing to overlap,
 * and findings keep the input order). `defaultNamespace` stands in for objects that name none, like kubectl's.
 */
export async function judgeObjects(
  items: Iterable<AuditItem>,
  ctx: PolicyContext,
  defaultNamespace = 'default',
  clusterIdOf: (item: AuditItem) => string | undefined = (item) => clusterIdFromObject(item.object, ctx),
): Promise<{ findings: AuditFinding[]; objects: number }> {
  const findings: AuditFinding[] = [];
  let objects = 0;
  for (const item of items) {
    objects++;
    findings.push(...(await judgeObject(item, ctx, defaultNamespace, clusterIdOf(item))));
  }
  return { findings, objects };
}

export async function judgeObject(item: AuditItem, ctx: PolicyContext, defaultNamespace = 'default', clusterId = clusterIdFromObject(item.object, ctx)): Promise<AuditFinding[]> {
  const obj = item.object;
  const namespaced = obj.kind !== 'Namespace';
  const namespace = namespaced ? (obj.metadata?.namespace ?? defaultNamespace) : undefined;
  // The policy reads the object's namespace from the object too: give it the one it would land in.
  const object = namespaced && obj.metadata?.namespace === undefined ? { ...obj, metadata: { ...obj.metadata, namespace } } : obj;
  const request: PolicyRequest = { operation: 'CREATE', object, oldObject: null, namespace, requester: AUDIT_REQUESTER, dryRun: true };
  const where = {
    kind: obj.kind ?? '(no kind)',
    apiVersion: obj.apiVersion,
    namespace,
    name: obj.metadata?.name ?? obj.metadata?.generateName ?? '(unnamed)',
    file: item.file,
    line: item.line,
    ...(item.item !== undefined ? { item: item.item } : {}),
    clusterId,
  };
  try {
    const decision = await decide(request, ctx, 'both');
    return decision.findings.map((f) => ({ rule: f.rule, action: f.action, message: f.message, fix: f.fix, ...where }));
  } catch (err) {
    // decide throwing is a bug in the policy; the audit reports it and goes on with the next object.
    return [{ rule: 'policy-error', action: 'error', message: `the policy failed on this object: ${(err as Error).message}`, fix: 'Report this as a bug, with the object.', ...where }];
  }
}

/** For grouping in reports: the cluster an HA ConfigMap or a Flink workload belongs to. */
function clusterIdFromObject(obj: KubeObject, ctx: PolicyContext): string | undefined {
  const ha = haConfigMapClusterId(obj);
  if (ha !== undefined) return ha || undefined;
  return flinkWorkloadOf(obj, ctx.config)?.clusterId;
}
