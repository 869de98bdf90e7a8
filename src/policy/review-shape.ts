// Fail closed on reviews whose objects do not match what they claim: a DELETE with no stored object, an UPDATE
// whose new object is empty or of another kind. The API server never sends these, but the guards must not depend
// on it: such a review of a ConfigMap or Namespace is denied unless the API server shows no HA state is involved.
import type { WebhookConfig } from '../config/types.ts';
import { looksLikeHaState } from '../flink/ha-configmap.ts';
import type { KubeObject } from '../kube/objects.ts';
import { markKeysOf } from './ha-owned-fields.ts';
import { finding } from './target.ts';
import type { ClusterView, Finding, PolicyRequest } from './types.ts';

const GUARDED_KINDS = new Set(['ConfigMap', 'Namespace']);

/** Undefined when the review is well-formed (or not about a guarded kind); else the finding that answers it. */
export async function checkReviewShape(request: PolicyRequest, config: WebhookConfig, cluster: ClusterView): Promise<Finding | undefined> {
  const present = [request.object, request.oldObject].filter((o): o is KubeObject => o !== null);
  const kinds = [request.kind, ...present.map((o) => o.kind)].filter((k): k is string => typeof k === 'string');
  if (kinds.length > 0 && !kinds.some((k) => GUARDED_KINDS.has(k))) return undefined;
  const problem = shapeProblem(request);
  if (!problem) return undefined;
  const marks = markKeysOf(config);
  const fix = 'send an admission.k8s.io/v1 review as the API server does: object (CREATE, UPDATE) and oldObject (UPDATE, DELETE) set, of the kind in request.kind';
  const deny = (why: string) => finding('policy-error', 'denied', `${problem}; ${why}, so the review is refused (fail closed)`, fix);
  if (present.some((o) => looksLikeHaState(o, marks))) return deny('it carries HA state');
  const kind = request.kind ?? present.find((o) => typeof o.kind === 'string')?.kind;
  const name = request.name ?? present.map((o) => o.metadata?.name).find((n): n is string => typeof n === 'string' && n !== '');
  if (!name || !kind || !GUARDED_KINDS.has(kind)) return deny('the webhook cannot tell which object it is about');
  if (kind === 'Namespace') {
    const holds = await cluster.namespaceHoldsHaState(name);
    return holds === false
      ? finding('policy-error', 'passed', `${problem}; namespace ${name} holds no HA ConfigMaps (asked the API server)`)
      : deny(`namespace ${name} ${holds ? 'holds HA ConfigMaps' : 'may hold HA ConfigMaps (could not check)'}`);
  }
  const namespace = request.namespace ?? '';
  const stored = cluster.configMap ? await cluster.configMap(namespace, name) : undefined;
  if (stored === undefined) return deny(`could not read ConfigMap ${namespace}/${name} from the API server to rule out HA state`);
  if (stored !== null && looksLikeHaState(stored, marks)) return deny(`the stored ConfigMap ${namespace}/${name} is HA state`);
  return finding('policy-error', 'passed', `${problem}; ConfigMap ${namespace}/${name} ${stored === null ? 'does not exist' : 'holds no HA state'} (asked the API server)`);
}

function shapeProblem(request: PolicyRequest): string | undefined {
  const needed: Array<['object' | 'oldObject', KubeObject | null]> =
    request.operation === 'CREATE' ? [['object', request.object]]
    : request.operation === 'UPDATE' ? [['object', request.object], ['oldObject', request.oldObject]]
    : request.operation === 'DELETE' ? [['oldObject', request.oldObject]]
    : [];
  for (const [field, obj] of needed) {
    if (obj === null) return `${request.operation} review without ${field}`;
    if (typeof obj.kind !== 'string' || obj.kind === '') return `${request.operation} review whose ${field} has no kind`;
    if (request.kind !== undefined && obj.kind !== request.kind) return `${request.operation} review of a ${request.kind} whose ${field} is a ${obj.kind}`;
    const name: unknown = obj.metadata?.name;
    if (request.operation !== 'CREATE' && (typeof name !== 'string' || name === '')) return `${request.operation} review whose ${field} has no metadata.name`;
  }
  if (request.operation === 'UPDATE' && request.object && request.oldObject) {
    if (request.object.kind !== request.oldObject.kind) return `UPDATE review whose object (${String(request.object.kind)}) and oldObject (${String(request.oldObject.kind)}) differ in kind`;
    if (request.object.metadata?.name !== request.oldObject.metadata?.name) return 'UPDATE review whose object and oldObject differ in name';
  }
  return undefined;
}
