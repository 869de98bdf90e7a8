// What a rule sees: the request, the recognised object, an editable draft of it, and (for Flink workloads) a
// view of its effective Flink configuration. Built once per request by decide().
import type { WebhookConfig } from '../config/types.ts';
import type { KubeObject } from '../kube/objects.ts';
import type { Classified } from '../flink/workload.ts';
import type { ConfigCarrier } from '../flink/config-carriers.ts';
import type { FlinkVersion } from '../flink/version.ts';
import type { ClusterView, Finding, PolicyRequest, RuleId } from './types.ts';

export interface FlinkConfigView {
  /** Reads the effective value (highest-precedence carrier first); writes where this object carries config. */
  carrier: ConfigCarrier;
  /** Which carrier a key was read from, for messages. */
  whereOf(key: string): string | undefined;
  /** False when part of the config lives where the policy could not read it (a mounted ConfigMap). */
  complete: boolean;
  /** Why the view is incomplete, for an `unchecked` finding. */
  incompleteReason?: string;
  version?: FlinkVersion;
  /** The config is a legacy flink-conf.yaml (only Flink 1.x reads it). */
  legacyConfFile?: boolean;
  /** The mounted config ConfigMap's name, for standalone and native workloads. */
  mountedConfigMap?: string;
}

export interface Target {
  request: PolicyRequest;
  namespace: string;
  classified: Classified;
  /**
   * The object after the request, as rules see it; null on DELETE. For Flink workloads its `editablePart` is a
   * deep copy that mutate rules edit (the rest is shared with the request and must not be edited).
   */
  draft: KubeObject | null;
  editablePart?: 'spec' | 'data';
  /** The stored object (UPDATE, DELETE). */
  old: KubeObject | null;
  flink?: FlinkConfigView;
  config: WebhookConfig;
  cluster: ClusterView;
}

/** A Flink workload target with its pod spec and Flink container (from `classified`, pointing into `draft`). */
export type WorkloadTarget = Target & {
  classified: Extract<Classified, { shape: 'workload' }>;
  draft: KubeObject;
};

export function isWorkload(t: Target): t is WorkloadTarget {
  return t.classified.shape === 'workload' && t.draft !== null;
}

/** A rule: an id, a title, the webhook phase of each half, and functions from target to findings. */
export interface Rule {
  id: RuleId;
  title: string;
  /** What breaks without the rule, in one sentence. */
  why: string;
  /** What to do, in general (a finding's own `fix` is more specific): reports' rule-level help. */
  help: string;
  /** Mutating half: may edit target.draft and report `mutated`, or deny a conflict. */
  mutate?: (t: Target) => Promise<Finding[]> | Finding[];
  /** Validating half: checks and guards; never edits. */
  validate?: (t: Target) => Promise<Finding[]> | Finding[];
}

export const finding = (rule: RuleId, action: Finding['action'], message: string, fix?: string): Finding =>
  fix === undefined ? { rule, action, message } : { rule, action, message, fix };
