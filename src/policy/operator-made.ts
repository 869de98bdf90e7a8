// Is a workload that carries the operator's marks (an ownerReference to a FlinkDeployment, the operator's generation
// annotation, the standalone-kubernetes type label) really the operator's? classify() reads the marks, which anyone
// who may write the object can set; the checks they let it skip run unless the API server proves the claim here.
import { isRecord } from '../flink/workload.ts';
import { proveOwnership } from './requester.ts';
import type { Target } from './target.ts';

export type OperatorProof = { proven: true; how: string } | { proven: false; why: string };

const proofs = new WeakMap<Target, Promise<OperatorProof>>();

/**
 * Proven by an ownerReference to an existing FlinkDeployment with that uid (what the operator sets, and what the
 * garbage collector deletes by), or by the operator's own pod-bound identity sending the request. Worked out once
 * per review; a lookup that fails proves nothing (fail closed: the skipped checks run).
 */
export function proveOperatorMade(t: Target): Promise<OperatorProof> {
  let proof = proofs.get(t);
  if (!proof) proofs.set(t, (proof = prove(t)));
  return proof;
}

async function prove(t: Target): Promise<OperatorProof> {
  const obj = t.draft ?? t.old;
  const refs = flinkDeploymentRefsOf(obj?.metadata?.ownerReferences);
  const failures: string[] = [];
  for (const ref of refs) {
    const fd = await t.cluster.flinkDeployment?.(t.namespace, ref.name);
    if (fd && fd.metadata?.uid === ref.uid && ref.uid !== '') return { proven: true, how: `owned by FlinkDeployment ${t.namespace}/${ref.name} (uid ${ref.uid})` };
    failures.push(fd === undefined
      ? `FlinkDeployment ${ref.name} could not be looked up`
      : fd === null ? `its ownerReference names FlinkDeployment ${ref.name}, which does not exist` : `its ownerReference names FlinkDeployment ${ref.name} with uid ${ref.uid || '(none)'}, but that one's uid is ${String(fd.metadata?.uid ?? '(none)')}`);
  }
  const ownership = await proveOwnership(t);
  if (ownership.owner && ownership.role === 'operator ServiceAccount') return { proven: true, how: 'sent by the operator\'s own pod-bound ServiceAccount' };
  if (refs.length === 0) failures.push('no ownerReference to a FlinkDeployment');
  failures.push(ownership.owner === false && ownership.why ? ownership.why : 'not sent by the operator');
  return { proven: false, why: failures.join('; ') };
}

function flinkDeploymentRefsOf(refs: unknown): Array<{ name: string; uid: string }> {
  if (!Array.isArray(refs)) return [];
  return refs
    .filter((r): r is Record<string, unknown> => isRecord(r) && r.kind === 'FlinkDeployment' && typeof r.apiVersion === 'string' && r.apiVersion.startsWith('flink.apache.org/'))
    .map((r) => ({ name: typeof r.name === 'string' ? r.name : '', uid: typeof r.uid === 'string' ? r.uid : '' }))
    .filter((r) => r.name !== '');
}
