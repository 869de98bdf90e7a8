// standby-jobmanagers: more than one JobManager, in the field the deployment mode uses, so a standby takes over
// leadership (from the HA ConfigMaps) when the leader dies instead of the cluster waiting for a restart.
import { NATIVE_JM_REPLICAS } from '../../flink/config-keys.ts';
import { flinkSpecOf, isRecord } from '../../flink/workload.ts';
import { finding, type Rule, type Target } from '../target.ts';
import type { Finding } from '../types.ts';

export const standbyJobManagers: Rule = {
  id: 'standby-jobmanagers',
  title: 'Standby JobManagers are configured',
  help: 'Run at least two JobManagers (spec.jobManager.replicas, kubernetes.jobmanager.replicas or the JobManager replicas).',
  why: 'With one JobManager, its failure stops every job until Kubernetes restarts it; a standby takes over in seconds.',
  mutate: (t) => {
    const min = t.config.minJobManagers;
    const c = t.classified;
    const draft = t.draft;
    if (c.shape === 'flink-config') return nativeConfigReplicas(t);
    if (!draft || !isRecord(draft.spec)) return [];
    const spec = draft.spec;
    const fd = flinkSpecOf(draft, c);
    if (fd) {
      if (!isRecord(fd.spec.jobManager)) fd.spec.jobManager = {};
      return raise(fd.spec.jobManager as Record<string, unknown>, 'replicas', `${fd.path}.jobManager.replicas`, min);
    }
    if (c.shape === 'workload' && c.role === 'jobmanager' && c.controller !== 'Pod' && !c.operatorOwned) {
      if (c.controller === 'Job') return raise(spec, 'parallelism', 'spec.parallelism', min);
      return raise(spec, 'replicas', 'spec.replicas', min);
    }
    return [];
  },
};

/** Native mode reads kubernetes.jobmanager.replicas; keep it in step with the JobManager Deployment. */
function nativeConfigReplicas(t: Target): Finding[] {
  const min = t.config.minJobManagers;
  if (t.classified.shape !== 'flink-config' || !t.classified.native || !t.flink) return [];
  const current = t.flink.carrier.get(NATIVE_JM_REPLICAS);
  const n = current === undefined ? 1 : Number(current);
  if (Number.isFinite(n) && n >= min) return [finding('standby-jobmanagers', 'passed', `${NATIVE_JM_REPLICAS}: ${n}`)];
  t.flink.carrier.set(NATIVE_JM_REPLICAS, String(min));
  return [finding('standby-jobmanagers', 'mutated', `set ${NATIVE_JM_REPLICAS}: ${min} in ${t.flink.carrier.where} (was ${current ?? 'unset, 1'})`)];
}

function raise(holder: Record<string, unknown>, field: string, path: string, min: number): Finding[] {
  const raw = holder[field];
  if (raw !== undefined && typeof raw !== 'number') {
    return [finding('standby-jobmanagers', 'denied', `${path} is not a number (${JSON.stringify(raw)})`, `set ${path} to ${min} or more`)];
  }
  const current = raw ?? 1;
  // Zero is a deliberate scale-down (a suspended cluster): raising it would restart what someone stopped.
  if (current === 0) return [finding('standby-jobmanagers', 'passed', `${path} is 0 (scaled down on purpose); left as is`)];
  if (current >= min) return [finding('standby-jobmanagers', 'passed', `${path}: ${current}`)];
  holder[field] = min;
  return [finding('standby-jobmanagers', 'mutated', `set ${path}: ${min} (was ${raw === undefined ? 'unset, 1' : current}); one JobManager means no standby to take over`)];
}
