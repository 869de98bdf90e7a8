// The real kube-controller-manager against the webhook: the ReplicaSet controller's Pods are mutated (the Pod
// safety net, as a real cluster exercises it), the namespace controller empties a released namespace and cannot
// start on an unreleased one, and the garbage collector cannot take HA state with an owner it was given before
// the webhook was installed. Each review's requester is read from the webhook's own log line.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  createFlinkNamespace, podBoundKubeconfig, registerWebhooks, serviceAccount, startE2E, unregisterWebhooks,
  type E2E,
} from './harness/index.ts';
import { waitFor } from './harness/processes.ts';

const HA_FIXTURE = join(import.meta.dirname, 'fixtures', 'ha-configmaps.yaml');
const HA_CMS = ['demo-cluster-config-map', 'demo-00000000000000000000000000000001-config-map'];
const REPLICASET_CONTROLLER = serviceAccount('kube-system', 'replicaset-controller');
const NAMESPACE_CONTROLLER = serviceAccount('kube-system', 'namespace-controller');
const GC = serviceAccount('kube-system', 'generic-garbage-collector');

type Json = Record<string, any>;

interface Review {
  webhook?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  operation?: string;
  user?: string;
  decision?: string;
  rules?: string[];
}

/** The webhook's `admission review` log lines (pino JSON, one per review). */
function reviewsOf(log: string): Review[] {
  const reviews: Review[] = [];
  for (const line of log.split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as Review & { msg?: string };
    if (entry.msg === 'admission review') reviews.push(entry);
  }
  return reviews;
}

describe('the real controllers against the webhook', () => {
  let e2e: E2E;
  const json = async (args: string[]): Promise<Json> => JSON.parse(await e2e.plane.kubectlOk([...args, '-o', 'json'])) as Json;
  /** The HA ConfigMaps of a namespace as stored: data, labels, annotations, owners and resourceVersion. */
  const stored = async (ns: string, names: string[]): Promise<string> => {
    const got = await json(['get', 'configmap', ...names, '-n', ns]);
    const items = (got.kind === 'List' ? got.items : [got]) as Json[];
    return JSON.stringify(items.map((cm) => ({
      name: cm.metadata.name, resourceVersion: cm.metadata.resourceVersion, data: cm.data, labels: cm.metadata.labels,
      annotations: cm.metadata.annotations, ownerReferences: cm.metadata.ownerReferences,
    })));
  };
  /** Flink's HA state in `ns`, written as Flink writes it: with the `flink` ServiceAccount's pod-bound token. */
  const seedHaState = async (ns: string): Promise<void> => {
    const flink = await podBoundKubeconfig(e2e.plane, ns, 'flink', 'demo-jobmanager-0');
    await e2e.plane.kubectlOk(['apply', '-n', ns, '--server-side', '--field-manager=flink', '-f', HA_FIXTURE], { kubeconfig: flink });
  };

  before(async () => {
    e2e = await startE2E();
  });
  after(async () => {
    await e2e?.stop();
  });

  it('the ReplicaSet controller creates Flink JobManager Pods, and the webhook mutates them as it sees them', async () => {
    const ns = 'rs-pods';
    await createFlinkNamespace(e2e.plane, ns);
    // A ReplicaSet is not a kind the webhook mutates (its Deployment is), so its template stays as written and
    // only the Pod rule can add what HA needs, on the Pods the controller creates.
    const template = {
      metadata: { labels: { app: 'rs-flink', component: 'jobmanager' } },
      spec: {
        containers: [{
          name: 'jobmanager', image: 'apache/flink:1.18', args: ['jobmanager'],
          volumeMounts: [{ name: 'flink-config-volume', mountPath: '/opt/flink/conf' }],
        }],
        volumes: [{ name: 'flink-config-volume', configMap: { name: 'rs-flink-config' } }],
      },
    };
    await e2e.plane.kubectlOk(['apply', '-n', ns, '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [
        {
          apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'rs-flink-config', labels: { app: 'rs-flink' } },
          data: { 'flink-conf.yaml': 'jobmanager.rpc.address: rs-flink-jobmanager\n' },
        },
        {
          apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'rs-flink-jobmanager' },
          spec: { replicas: 2, selector: { matchLabels: template.metadata.labels }, template },
        },
      ] }),
    });
    const pods = await waitFor('the ReplicaSet controller to create 2 Pods', async () => {
      const items = (await json(['get', 'pods', '-n', ns, '-l', 'app=rs-flink'])).items as Json[];
      return items.length === 2 ? items : undefined;
    }, { timeoutMs: 30_000 });

    const rs = await json(['get', 'replicaset/rs-flink-jobmanager', '-n', ns]);
    const rsContainer = rs.spec.template.spec.containers[0];
    assert.equal(rs.spec.template.spec.serviceAccountName, undefined, 'the ReplicaSet itself was not mutated');
    assert.deepEqual(rsContainer.args, ['jobmanager']);
    for (const pod of pods) {
      assert.equal(pod.metadata.ownerReferences?.[0]?.kind, 'ReplicaSet', 'created by the ReplicaSet controller');
      assert.equal(pod.spec.serviceAccountName, 'flink', '[ha-service-account] bound the HA ServiceAccount');
      const container = pod.spec.containers[0];
      assert.deepEqual(container.args, ['jobmanager', '$(POD_IP)'], '[pod-ip-address] advertises the pod IP');
      assert.deepEqual(container.env, [{ name: 'POD_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } }]);
    }

    // Who asked: the webhook logged each Pod review with its requester (mutated and validated in one review).
    const podReviews = reviewsOf(e2e.webhook.log()).filter((r) => r.kind === 'Pod' && r.namespace === ns && r.operation === 'CREATE');
    const mutations = podReviews.filter((r) => r.webhook === 'mutate');
    assert.equal(mutations.length, 2, JSON.stringify(podReviews));
    for (const review of mutations) {
      assert.equal(review.user, REPLICASET_CONTROLLER);
      assert.equal(review.decision, 'patched');
      assert.deepEqual(new Set(review.rules), new Set(['pod-ip-address:mutated', 'ha-service-account:mutated']));
    }
    // One call per Pod: the mutating review decided both halves (the ServiceAccount's rights included), so the
    // validating webhook is not registered for Pods (docs/latency.md).
    assert.deepEqual(podReviews.filter((r) => r.webhook === 'validate').map((r) => [r.user, r.decision]), [], 'no validating review of a Pod');

    // The scheduler is there too: with no node, it marks the Pods unschedulable (they stay Pending).
    await waitFor('the scheduler to mark the Pods unschedulable', async () => {
      const items = (await json(['get', 'pods', '-n', ns, '-l', 'app=rs-flink'])).items as Json[];
      const unschedulable = items.filter((p) => p.status.phase === 'Pending' &&
        (p.status.conditions as Json[] | undefined)?.some((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable'));
      return unschedulable.length === 2 ? true : undefined;
    }, { timeoutMs: 30_000 });
  });

  it('a released namespace holding HA state is emptied and removed by the namespace controller', async () => {
    const ns = 'released';
    await createFlinkNamespace(e2e.plane, ns);
    await seedHaState(ns);
    await e2e.plane.kubectlOk(['annotate', 'namespace', ns, 'flink-ha.io/release=decommissioned in the e2e test']);

    await e2e.plane.kubectlOk(['delete', 'namespace', ns, '--wait=false']);
    await waitFor(`namespace ${ns} to be gone`, async () => {
      const r = await e2e.plane.kubectl(['get', 'namespace', ns, '-o', 'name']);
      return r.code !== 0 && /NotFound/.test(r.stderr) ? true : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500, alive: e2e.plane.controllerManager });

    // The HA ConfigMaps went through the webhook, deleted by the namespace controller, and were let through
    // because the namespace was released.
    const deletes = reviewsOf(e2e.webhook.log()).filter((r) => r.kind === 'ConfigMap' && r.namespace === ns && r.operation === 'DELETE');
    for (const name of HA_CMS) {
      const review = deletes.find((r) => r.name === name);
      assert.ok(review, `the webhook saw the DELETE of ${name}: ${JSON.stringify(deletes)}`);
      assert.equal(review.user, NAMESPACE_CONTROLLER);
      assert.equal(review.decision, 'allowed');
    }
  });

  it('an unreleased namespace holding HA state cannot be deleted, and its HA ConfigMaps stay as they were', async () => {
    const ns = 'kept';
    await createFlinkNamespace(e2e.plane, ns);
    await seedHaState(ns);
    const before = await stored(ns, HA_CMS);

    const r = await e2e.plane.kubectl(['delete', 'namespace', ns, '--wait=false']);
    assert.notEqual(r.code, 0, r.stdout);
    assert.match(r.stderr, /denied the request: .*\[protect-namespace\]/);
    const namespace = await json(['get', 'namespace', ns]);
    assert.equal(namespace.metadata.deletionTimestamp, undefined, 'the namespace never started terminating');
    assert.equal(namespace.status.phase, 'Active');
    assert.equal(await stored(ns, HA_CMS), before, 'the HA ConfigMaps are byte for byte what Flink wrote');
  });

  describe('an HA ConfigMap given an owner before the webhook was installed', () => {
    const ns = 'owned';
    const haName = 'legacy-cluster-config-map';
    const ORPHANED = 'orphaned-cluster-config-map';
    /** An owner ConfigMap and an HA ConfigMap it owns, created while the webhook is not registered. */
    const ownedHaConfigMap = (owner: string, name: string, ownerUid: string): Json => ({
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: {
        name, namespace: ns,
        labels: { app: name.replace(/-cluster-config-map$/, ''), type: 'flink-native-kubernetes', 'configmap-type': 'high-availability' },
        ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: owner, uid: ownerUid }],
      },
      data: {
        'org.apache.flink.k8s.leader.restserver': 'http://10.0.0.5:8081',
        'jobGraph-00000000000000000000000000000007': 'rO0ABXNyADtvcmcuYXBhY2hlLmZsaW5rLnJ1bnRpbWUuc3RhdGUuUmV0cmlldmFibGVTdHJlYW1TdGF0ZUhhbmRsZQ==',
      },
    });
    let gcOwnedBefore = '';
    let orphanedBefore = '';

    before(async () => {
      await createFlinkNamespace(e2e.plane, ns);
      await unregisterWebhooks(e2e.plane);
      for (const [owner, name] of [['helm-release', haName], ['argo-app', ORPHANED]] as const) {
        await e2e.plane.kubectlOk(['create', 'configmap', owner, '-n', ns, '--from-literal=owner=yes']);
        const uid = (await json(['get', 'configmap', owner, '-n', ns])).metadata.uid as string;
        await e2e.plane.kubectlOk(['create', '-f', '-'], { input: JSON.stringify(ownedHaConfigMap(owner, name, uid)) });
      }
      await registerWebhooks(e2e.plane, e2e.webhook);
      gcOwnedBefore = await stored(ns, [haName]);
      orphanedBefore = await stored(ns, [ORPHANED]);
    });

    it('the garbage collector\'s DELETE is refused when the owner goes, and the ConfigMap survives byte for byte', async () => {
      await e2e.plane.kubectlOk(['delete', 'configmap', 'helm-release', '-n', ns, '--cascade=background']);
      const denied = await waitFor('the garbage collector to try to delete the HA ConfigMap', () => Promise.resolve(
        reviewsOf(e2e.webhook.log()).find((r) => r.kind === 'ConfigMap' && r.namespace === ns && r.name === haName && r.operation === 'DELETE')),
      { timeoutMs: 60_000, intervalMs: 300, alive: e2e.plane.controllerManager });
      assert.equal(denied.user, GC);
      assert.equal(denied.decision, 'denied');
      assert.deepEqual(denied.rules, ['protect-ha-configmap:denied']);

      const owner = await e2e.plane.kubectl(['get', 'configmap', 'helm-release', '-n', ns]);
      assert.match(owner.stderr, /NotFound/, 'the owner is gone');
      assert.equal(await stored(ns, [haName]), gcOwnedBefore, 'the HA ConfigMap is unchanged, its ownerReference too');
    });

    it('an orphaning delete of the owner: the garbage collector takes the ownerReference off, and nothing else changes', async () => {
      // Taking an ownerReference off is open to non-owners (it can only keep the HA ConfigMap alive): the GC's
      // orphaning write is allowed, so the owner is not left waiting on its `orphan` finalizer.
      await e2e.plane.kubectlOk(['delete', 'configmap', 'argo-app', '-n', ns, '--cascade=orphan', '--wait=false']);
      const orphaned = await waitFor('the garbage collector to orphan the HA ConfigMap', () => Promise.resolve(
        reviewsOf(e2e.webhook.log()).find((r) => r.kind === 'ConfigMap' && r.namespace === ns && r.name === ORPHANED && r.user === GC)),
      { timeoutMs: 60_000, intervalMs: 300, alive: e2e.plane.controllerManager });
      assert.equal(orphaned.operation, 'UPDATE');
      assert.equal(orphaned.decision, 'allowed');
      assert.deepEqual(orphaned.rules, [], 'no rule objects (the log lists findings other than passed)');
      await waitFor('the orphaning owner to be gone', async () => {
        const r = await e2e.plane.kubectl(['get', 'configmap', 'argo-app', '-n', ns]);
        return /NotFound/.test(r.stderr) ? true : undefined;
      }, { timeoutMs: 60_000, intervalMs: 300, alive: e2e.plane.controllerManager });
      const before = JSON.parse(orphanedBefore) as Json[];
      const now = JSON.parse(await stored(ns, [ORPHANED])) as Json[];
      assert.equal(now[0]!.ownerReferences, undefined, 'the reference is off');
      const { ownerReferences: _gone, resourceVersion: _was, ...rest } = before[0]!;
      const { resourceVersion: _is, ...current } = now[0]!;
      assert.deepEqual(current, rest, 'data, labels and annotations of the HA ConfigMap are byte for byte what they were');
    });
  });
});
