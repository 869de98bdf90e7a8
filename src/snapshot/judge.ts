// Judges every object of a snapshot with the webhook's own policy, the same way for dry-run and audit: Namespaces
// first, then ConfigMaps and ServiceAccounts, then the rest, each seeing what the webhook would have stored before
// it (a workload is judged against its config ConfigMap as mutated). Results come back in input order.
import type { WebhookConfig } from '../config/types.ts';
import type { KubeObject } from '../kube/objects.ts';
import { decide } from '../policy/decide.ts';
import { looksLikeHaState, takesHaStateName } from '../flink/ha-configmap.ts';
import { markKeysOf } from '../policy/ha-owned-fields.ts';
import type { ClusterView, Decision, Operation, Requester } from '../policy/types.ts';
import { snapshotClusterView } from './cluster-view.ts';
import { compiledImagePatterns, indexSnapshot, type SnapshotIndex } from './index.ts';
import type { Snapshot, SnapshotObject } from './snapshot.ts';

export interface JudgeOptions {
  config: WebhookConfig;
  operation: Operation;
  requester: Requester;
  /** Answers the Pod lookups of the snapshot's own view (dry-run's `--pod`: a snapshot holds no requester's Pod). */
  boundPod?: ClusterView['boundPod'];
}

export interface Judged {
  entry: SnapshotObject;
  /** The namespace the object lands in ('' for a Namespace). */
  namespace: string;
  decision: Decision;
}

/** Judges a snapshot, or the index of one that the caller built already (an audit reads it too). */
export async function judgeSnapshot(snapshot: Snapshot | SnapshotIndex, options: JudgeOptions): Promise<Judged[]> {
  const index = 'haByCluster' in snapshot ? snapshot : indexSnapshot(snapshot, compiledImagePatterns(options.config));
  const view = snapshotClusterView(index);
  const cluster = options.boundPod ? { ...view, boundPod: options.boundPod } : view;
  const live = index.snapshot.facts !== undefined;
  const marks = markKeysOf(options.config);
  const objects = index.objects;
  const results = new Array<Judged>(objects.length);
  // Stable by rank, input order within a rank (what a stable sort by judgeRank gives, without the comparisons).
  const byRank: number[][] = [[], [], [], []];
  for (let i = 0; i < objects.length; i++) byRank[judgeRank(objects[i]!.entry.object)]!.push(i);
  for (const i of byRank.flat()) {
    const { entry, namespace } = objects[i]!;
    const obj = entry.object;
    // A manifest is judged as the write it would be. Stored HA state (a live read) is judged as it is, a write that
    // changes nothing: it is no write by the auditor, and the whole-cluster checks report what is wrong with it. So
    // is a stored ConfigMap under an HA name (only its CREATE is HA state by name alone; it exists already).
    const stored = live && options.operation === 'CREATE' && (looksLikeHaState(obj, marks) || takesHaStateName(obj));
    const decision = await decideSafely(obj, namespace, stored ? { ...options, operation: 'UPDATE' } : options, cluster);
    if (decision.object && decision.patch.length > 0) view.update(decision.object, namespace);
    results[i] = { entry, namespace, decision };
  }
  return results;
}

async function decideSafely(obj: KubeObject, namespace: string, options: JudgeOptions, cluster: ClusterView): Promise<Decision> {
  const { operation } = options;
  try {
    return await decide({
      operation,
      object: operation === 'DELETE' ? null : obj,
      oldObject: operation === 'CREATE' ? null : obj,
      namespace: obj.kind === 'Namespace' ? obj.metadata?.name : namespace,
      requester: options.requester,
      dryRun: true,
    }, { config: options.config, cluster }, 'both');
  } catch (err) {
    // decide() never throws by contract; if it does, that is a bug, reported on this object while the rest go on.
    const message = `the policy failed on this object: ${err instanceof Error ? err.message : String(err)} (a bug: please report it with the object)`;
    return {
      allowed: false, patch: [], object: obj, warnings: [], auditAnnotations: {}, subject: obj.kind ?? '',
      findings: [{ rule: 'policy-error', action: 'denied', message }],
      status: { code: 500, message },
    };
  }
}

/**
 * The order objects are judged in, as a `kubectl apply` of a folder would best have them admitted: what others are
 * judged against (Namespaces; ConfigMaps and ServiceAccounts; session clusters) before what reads them.
 */
export function judgeRank(obj: KubeObject): number {
  if (obj.kind === 'Namespace') return 0;
  if (obj.kind === 'ConfigMap' || obj.kind === 'ServiceAccount') return 1;
  return obj.kind === 'FlinkSessionJob' ? 3 : 2;
}
