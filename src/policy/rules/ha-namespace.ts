// ha-namespace: standalone Flink writes its HA ConfigMaps to kubernetes.namespace, which defaults to `default`,
// not to the pod's namespace. The operator and the native client set it themselves.
import { K8S_NAMESPACE } from '../../flink/config-keys.ts';
import { finding, type Rule } from '../target.ts';

export const haNamespace: Rule = {
  id: 'ha-namespace',
  title: 'kubernetes.namespace matches the workload namespace',
  help: 'Set kubernetes.namespace to the namespace the standalone cluster runs in.',
  why: 'Standalone Flink defaults kubernetes.namespace to `default`: its HA ConfigMaps land in the wrong namespace, or fail on RBAC.',
  mutate: (t) => {
    const f = t.flink;
    const c = t.classified;
    const standalone = (c.shape === 'workload' && c.mode === 'standalone') || (c.shape === 'flink-config' && !c.native);
    if (!f || !standalone) return [];
    const current = f.carrier.get(K8S_NAMESPACE);
    if (current !== undefined) {
      return current === t.namespace
        ? [finding('ha-namespace', 'passed', `${K8S_NAMESPACE}: ${current}`)]
        : [finding('ha-namespace', 'denied', `${K8S_NAMESPACE}: ${current} (${f.whereOf(K8S_NAMESPACE) ?? f.carrier.where}) differs from the workload's namespace ${t.namespace}; the HA ConfigMaps would be written there`,
            `set ${K8S_NAMESPACE}: ${t.namespace}, or remove it`)];
    }
    if (!f.complete) return [finding('ha-namespace', 'unchecked', `${K8S_NAMESPACE} not set here; ${f.incompleteReason ?? 'part of the config could not be read'}`)];
    f.carrier.set(K8S_NAMESPACE, t.namespace);
    return [finding('ha-namespace', 'mutated', `set ${K8S_NAMESPACE}: ${t.namespace} in ${f.carrier.where} (standalone Flink would otherwise use 'default')`)];
  },
};
