// Dry-run: what the webhook would do to these manifests, offline. Judges the snapshot with the same policy and the
// same snapshot-backed view as the audit (src/snapshot/), and returns one result per object; formatting lives in
// ./format.ts.
import type { Operation as JsonPatchOperation } from 'fast-json-patch';
import type { WebhookConfig } from '../config/types.ts';
import type { KubeObject } from '../kube/objects.ts';
import type { ClusterView, Finding, Operation, Requester } from '../policy/types.ts';
import { judgeSnapshot } from '../snapshot/judge.ts';
import type { ManifestOrigin, Snapshot } from '../snapshot/snapshot.ts';
import type { ManifestError } from '../sources/manifests.ts';

export interface DryRunResult {
  source: ManifestOrigin;
  kind: string;
  namespace: string;
  name: string;
  allowed: boolean;
  patch: JsonPatchOperation[];
  /** The object after the patch (null for DELETE). */
  object: KubeObject | null;
  /** The object as given, for diffs. */
  original: KubeObject;
  findings: Finding[];
  /** The denial message the API server would show. */
  message?: string;
}

export interface DryRunOptions {
  config: WebhookConfig;
  operation: Operation;
  requester: Requester;
  /** The Pod the requester's token is bound to, as the user vouches for it (`--pod`): offline, nothing else can. */
  boundPod?: ClusterView['boundPod'];
}

export interface DryRunOutput {
  results: DryRunResult[];
  errors: ManifestError[];
}

/** Where an object with no origin is said to come from (a dry-run judges manifests; every one has its own). */
const STDIN_ORIGIN: ManifestOrigin = { file: '-', index: 0, line: 1 };

export async function dryRun(snapshot: Snapshot, errors: ManifestError[], options: DryRunOptions): Promise<DryRunOutput> {
  const judged = await judgeSnapshot(snapshot, options);
  const results = judged.map(({ entry, namespace, decision }): DryRunResult => ({
    source: entry.origin ?? STDIN_ORIGIN,
    kind: entry.object.kind ?? '',
    namespace,
    name: entry.object.metadata?.name ?? '',
    allowed: decision.allowed,
    patch: decision.patch,
    object: options.operation === 'DELETE' ? null : decision.object,
    original: entry.object,
    findings: decision.findings,
    ...(decision.status ? { message: decision.status.message } : {}),
  }));
  return { results, errors };
}
