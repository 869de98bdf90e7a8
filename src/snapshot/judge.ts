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
import { namespaceOf, type Snapshot, type SnapshotObject } from './snapshot.ts';

export interface JudgeOptions {
  config: WebhookConfig;
  operation: Operation;
  requester: Requester;
  /** Another ClusterView instead of the snapshot's own (tests, or a live view). */
  cluster?: ClusterView;
  /** Answers the Pod lookups of the snapshot's own view (dry-run's `--pod`: a snapshot holds no requester's Pod). */
  boundPod?: ClusterView['boundPod'];
}

export interface Judged {
  entry: SnapshotObject;
  /** The namespace the object lands in ('' for a Namespace). */
  namespace: string;
  decision: Decision;
}

export async function judgeSnapshot(snapshot: Snapshot, options: JudgeOptions): Promise<Judged[]> {
  const patterns = options.config.imagePatterns.map((p) => new RegExp(p));
  const view = snapshotClusterView(snapshot, patterns);
  const cluster = options.cluster ?? (options.boundPod ? { ...view, boundPod: options.boundPod } : view);
  const entries = snapshot.objects;
  const results = new Array<Judged>(entries.length);
  const order = entries.map((_, i) => i).sort((a, b) => judgeRank(entries[a]!.object) - judgeRank(entries[b]!.object));
  for (const i of order) {
    const entry = entries[i]!;
    const obj = entry.object;
    const namespace = namespaceOf(obj, snapshot.defaultNamespace);
    // A manifest is judged as the write it would be. Stored HA state (a live read) is judged as it is, a write that
    // changes nothing: it is no write by the auditor, and the whole-cluster checks report what is wrong with it. So
    // is a stored ConfigMap under an HA name (only its CREATE is HA state by name alone; it exists already).
    const stored = snapshot.facts !== undefined && options.operation === 'CREATE' && (looksLikeHaState(obj, markKeysOf(options.config)) || takesHaStateName(obj));
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
