// ha-enabled: Kubernetes HA switched on, in the key the workload's Flink version reads. ZooKeeper HA is HA too.
import { effectiveHaType, haKindOf } from '../../flink/config-keys.ts';
import { haTypeWrite } from '../../flink/version.ts';
import { finding, type Rule } from '../target.ts';
import { sessionClusterHa } from './session-job.ts';
import { statelessWithHa } from './stateless-job.ts';

export const haEnabled: Rule = {
  id: 'ha-enabled',
  title: 'Kubernetes HA is enabled',
  help: 'Set high-availability.type: kubernetes in the Flink configuration the workload reads.',
  why: 'Without HA a JobManager failure loses every running job: nothing records the job graphs or the latest checkpoints.',
  mutate: (t) => {
    const f = t.flink;
    if (!f) return [];
    const current = effectiveHaType((k) => f.carrier.get(k));
    if (current) {
      const kind = haKindOf(current.value);
      const where = f.whereOf(current.key) ?? f.carrier.where;
      if (kind === 'none') {
        return [finding('ha-enabled', 'denied',
          `${current.key}: ${current.value} (${where}) turns high availability off; a JobManager failure would lose the running jobs and their checkpoint pointers`,
          `set ${haTypeWrite(f.version, f.legacyConfFile).key}: ${haTypeWrite(f.version, f.legacyConfFile).value} (or ZooKeeper HA), or ask a platform admin for a FlinkHAException (ha-enabled) in ${t.config.exceptionNamespaces.join(' or ')}`)];
      }
      if (kind === 'unknown') {
        return [finding('ha-enabled', 'denied',
          `${current.key}: ${current.value} (${where}) is no HA type Flink knows (kubernetes, zookeeper, NONE, or a factory class name): Flink would fail to start looking for a factory class named '${current.value}'`,
          `set ${haTypeWrite(f.version, f.legacyConfFile).key}: ${haTypeWrite(f.version, f.legacyConfFile).value}`)];
      }
      return [finding('ha-enabled', 'passed', kind === 'zookeeper' ? `ZooKeeper HA is on (${where}); accepted as HA` : `HA is on (${current.key}: ${current.value})`), ...statelessWithHa(t)];
    }
    if (!f.complete) return [finding('ha-enabled', 'unchecked', `HA type not set here; ${f.incompleteReason ?? 'part of the config could not be read'}`)];
    const write = haTypeWrite(f.version, f.legacyConfFile);
    f.carrier.set(write.key, write.value);
    return [finding('ha-enabled', 'mutated', `set ${write.key}: ${write.value} in ${f.carrier.where} (no HA was configured; a JobManager failure would lose the running jobs)`), ...statelessWithHa(t)];
  },  // A session job's HA is its session cluster's.
  validate: (t) => sessionClusterHa(t),
};
