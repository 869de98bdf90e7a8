// Is a workload that carries the operator's marks (an ownerReference to a FlinkDeployment, the operator's generation
// annotation, the standalone-kubernetes type label) really the operator's? classify() reads the marks, which anyone
// who may write the object can set; the checks they let it skip run unless the API server proves the claim here.
import { isRecord } from '../flink/workload.ts';
import { proveOwnership } from './requester.ts';
import type { Target } from './target.ts';

/** `flinkDeployment`: proven by that owner, whose cluster-id (its name) the object must also run with. */
export type OperatorProof = { proven: true; how: string; flinkDeployment?: string } | { proven: false; why: string };

const proofs = new WeakMap<Target, Promise<OperatorProof>>();

/**
 * Proven by the operator's own pod-bound identity sending the request, or by an ownerReference to an existing
 * FlinkDeployment with that uid on an object named like it (the operator names the JobManager Deployment after its
 * FlinkDeployment, so a copy of the uid on another object proves nothing; the caller also holds the cluster-id to
 * the FlinkDeployment's). Worked out once per review; a failed lookup proves nothing (fail closed: the checks run).
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
    const name = obj?.metadata?.name;
    if (fd && fd.metadata?.uid === ref.uid && ref.uid !== '' && name === ref.name) {
      return { proven: true, how: `owned by FlinkDeployment ${t.namespace}/${ref.name} (uid ${ref.uid})`, flinkDeployment: ref.name };
    }
    failures.push(fd && fd.metadata?.uid === ref.uid && ref.uid !== ''
      ? `its ownerReference names FlinkDeployment ${ref.name}, but the operator names that one's JobManager ${ref.name}, not ${name ?? '(unnamed)'}`
      : fd === undefined
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
