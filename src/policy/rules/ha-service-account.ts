// ha-service-account: JobManagers and TaskManagers run as a ServiceAccount that may manage ConfigMaps (leader
// election, job graphs, checkpoint pointers; TaskManagers watch the leader ConfigMap). The mutating half binds the
// configured one where none is set; it never binds one that does not exist (the API server would reject the Pod).
import { finding, type Rule, type Target } from '../target.ts';
import { flinkSpecOf } from '../../flink/workload.ts';
import { HA_CONFIGMAP_VERBS, onboardFix } from '../../flink/ha-rbac.ts';

const VERBS = HA_CONFIGMAP_VERBS.join('/');

export const haServiceAccount: Rule = {
  id: 'ha-service-account',
  title: 'Flink pods run as a ServiceAccount that may manage ConfigMaps',
  help: `Run JobManagers and TaskManagers as the HA ServiceAccount and bind it a Role with ${VERBS} on configmaps (flink-ha-webhook onboard -n NS).`,
  why: 'Flink HA reads and writes ConfigMaps from inside the JobManager and TaskManager pods; the default ServiceAccount may not, and HA fails at start-up.',
  mutate: async (t) => {
    const slot = serviceAccountSlot(t);
    if (!slot) return [];
    const current = slot.get();
    if (current !== undefined && current !== '' && current !== 'default') return [finding('ha-service-account', 'passed', `runs as ServiceAccount ${current}`)];
    const want = t.config.haServiceAccount;
    const exists = await t.cluster.serviceAccountExists(t.namespace, want);
    const fix = onboardFix(t.namespace, want);
    if (exists === false) {
      // A Pod is the safety net: never break it. A controller or CR is denied, loudly, with the fix.
      const action = t.classified.shape === 'workload' && t.classified.controller === 'Pod' ? 'warned' : 'denied';
      return [finding('ha-service-account', action, `runs as the ${current ? "'default'" : 'default'} ServiceAccount, which may not manage the HA ConfigMaps, and ServiceAccount ${want} does not exist in ${t.namespace} to bind instead`, fix)];
    }
    slot.set(want);
    // Said plainly: where the ServiceAccount is missing, the live webhook denies a controller (and warns a Pod).
    const note = exists === undefined ? ' (could not check that it exists: where it does not, the webhook denies this workload)' : '';
    return [finding('ha-service-account', 'mutated', `set ${slot.path}: ${want}${note}; the default ServiceAccount may not manage the HA ConfigMaps`, exists === undefined ? fix : undefined)];
  },
  validate: async (t) => {
    const slot = serviceAccountSlot(t);
    if (!slot || t.request.operation === 'DELETE') return [];
    const sa = slot.get() || 'default';
    const can = await t.cluster.serviceAccountCanManageConfigMaps(t.namespace, sa);
    if (can === true) return [finding('ha-service-account', 'passed', `ServiceAccount ${sa} may manage ConfigMaps in ${t.namespace}`)];
    if (can === undefined) return [finding('ha-service-account', 'unchecked', `could not check that ServiceAccount ${sa} may manage ConfigMaps in ${t.namespace}`)];
    return [finding('ha-service-account', 'warned',
      `ServiceAccount ${sa} may not ${VERBS} ConfigMaps in ${t.namespace}; Flink HA will fail to elect a leader`,
      onboardFix(t.namespace, sa))];
  },
};

interface Slot {
  path: string;
  get(): string | undefined;
  set(name: string): void;
}

function serviceAccountSlot(t: Target): Slot | undefined {
  const c = t.classified;
  const draft = t.draft;
  if (!draft) return undefined;
  const fd = flinkSpecOf(draft, c);
  if (fd) {
    const spec = fd.spec;
    return {
      path: `${fd.path}.serviceAccount`,
      get: () => (typeof spec.serviceAccount === 'string' ? spec.serviceAccount : undefined),
      set: (name) => { spec.serviceAccount = name; },
    };
  }
  if (c.shape !== 'workload' || c.operatorOwned) return undefined;
  if (c.controller === 'Pod' && t.request.operation !== 'CREATE') return undefined; // immutable after creation
  const pod = c.podSpec;
  return {
    path: c.controller === 'Pod' ? 'spec.serviceAccountName' : 'spec.template.spec.serviceAccountName',
    get: () => pod.serviceAccountName ?? pod.serviceAccount,
    set: (name) => {
      pod.serviceAccountName = name;
      if (pod.serviceAccount !== undefined) pod.serviceAccount = name; // the deprecated alias must agree
    },
  };
}

