// Dry-run: what the webhook would do to these manifests, offline. Reads them, decides each with the same policy
// as the webhook (both phases), and returns one result per object; formatting lives in ./format.ts.
import type { Operation as JsonPatchOperation } from 'fast-json-patch';
import type { WebhookConfig } from '../config/types.ts';
import type { KubeObject } from '../kube/objects.ts';
import { decide } from '../policy/decide.ts';
import type { ClusterView, Finding, Operation, Requester } from '../policy/types.ts';
import { manifestProblem, type ManifestDocument, type ManifestError, type ManifestSource } from '../sources/manifests.ts';
import { manifestClusterView } from './manifest-cluster-view.ts';

export interface DryRunResult {
  source: ManifestSource;
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
  /** Namespace for objects that name none (kubectl's current namespace). */
  defaultNamespace: string;
  /** A live ClusterView instead of the manifest-backed one. */
  cluster?: ClusterView;
}

export interface DryRunOutput {
  results: DryRunResult[];
  errors: ManifestError[];
}

export async function dryRun(documents: ManifestDocument[], readErrors: ManifestError[], options: DryRunOptions): Promise<DryRunOutput> {
  const errors = [...readErrors];
  const valid: Array<ManifestDocument & { namespace: string }> = [];
  for (const doc of documents) {
    const problem = manifestProblem(doc.object);
    if (problem) errors.push({ file: doc.source.file, line: doc.source.line, item: doc.source.item, message: problem });
    else valid.push({ ...doc, namespace: doc.object.metadata?.namespace ?? (doc.object.kind === 'Namespace' ? '' : options.defaultNamespace) });
  }
  const patterns = options.config.imagePatterns.map((p) => new RegExp(p));
  const view = manifestClusterView(valid, patterns);
  const cluster = options.cluster ?? view;
  const results = new Array<DryRunResult | undefined>(valid.length);
  // Flink config ConfigMaps first: the workloads that mount them are then judged against what would be stored.
  const order = valid.map((_, i) => i).sort((a, b) => rank(valid[a]!.object) - rank(valid[b]!.object));
  for (const i of order) {
    const doc = valid[i]!;
    const obj = doc.object;
    const isDelete = options.operation === 'DELETE';
    const decision = await decide({
      operation: options.operation,
      object: isDelete ? null : obj,
      oldObject: options.operation === 'CREATE' ? null : obj,
      namespace: obj.kind === 'Namespace' ? obj.metadata?.name : doc.namespace,
      requester: options.requester,
      dryRun: true,
    }, { config: options.config, cluster }, 'both');
    if (decision.object && decision.patch.length > 0) view.update(decision.object, doc.namespace);
    results[i] = {
      source: doc.source,
      kind: obj.kind ?? '',
      namespace: doc.namespace,
      name: obj.metadata?.name ?? '',
      allowed: decision.allowed,
      patch: decision.patch,
      object: isDelete ? null : decision.object,
      original: obj,
      findings: decision.findings,
      ...(decision.status ? { message: decision.status.message } : {}),
    };
  }
  return { results: results.filter((r) => r !== undefined), errors };
}

function rank(obj: KubeObject): number {
  return obj.kind === 'Namespace' ? 0 : obj.kind === 'ConfigMap' || obj.kind === 'ServiceAccount' ? 1 : 2;
}
