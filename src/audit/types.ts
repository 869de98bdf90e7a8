// What an audit produces: findings about objects (from the policy, per object) and about the cluster as a whole
// (from src/audit/checks/), plus the inputs it could not read. Reports (src/report/) render exactly this.
import type { Action, RuleId } from '../policy/types.ts';

/**
 * Rule ids of the whole-cluster checks. They are stable like the policy's: CI configs and dashboards key on them.
 * Where a check means exactly what a policy rule means (an ownerReference on an HA ConfigMap, a shared cluster-id,
 * a ServiceAccount without ConfigMap rights) it reports under the policy rule's id instead of a new one.
 */
export type ClusterCheckId =
  | 'orphaned-ha-state'
  | 'standby-without-ha-state'
  | 'webhook-coverage'
  | 'rbac-impersonates-pod-extras'
  | 'audit-permission';

export type AuditRuleId = RuleId | ClusterCheckId;

/** The policy's actions, plus `error` for a check that failed to run (a listing refused, a review that threw). */
export type AuditAction = Action | 'error';

export interface AuditFinding {
  rule: AuditRuleId;
  action: AuditAction;
  message: string;
  fix?: string;
  kind: string;
  apiVersion?: string;
  namespace?: string;
  name: string;
  /** The manifest file and 1-based line (folder audits only). */
  file?: string;
  line?: number;
  /** For an item of a List document: its index (`file:line items[N]`). */
  item?: number;
  /** The Flink cluster-id the object belongs to, when known: tables group by it. */
  clusterId?: string;
}

/** An input that could not be read: a file, a YAML document, a listing. */
export interface InputError {
  /** `file` or `file:line` for manifests, `list <resource>` for a cluster. */
  where: string;
  message: string;
}

export interface AuditReport {
  /** `manifests` for a folder audit, `cluster` for a live one (with the context name). */
  source: { type: 'manifests'; inputs: string[] } | { type: 'cluster'; context: string; namespaces: string[] | 'all' };
  /** Objects the policy judged. */
  objects: number;
  findings: AuditFinding[];
  errors: InputError[];
}

/** Worst first: the order of tables, and how --fail-on thresholds compare. */
export const ACTION_SEVERITY: Record<AuditAction, number> = {
  denied: 6,
  error: 5,
  warned: 4,
  mutated: 3,
  unchecked: 2,
  exempt: 1,
  passed: 0,
};
