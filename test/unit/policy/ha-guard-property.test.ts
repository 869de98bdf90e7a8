// The guards' central property: for any HA ConfigMap and any JSON patch of it by someone who is not an owner,
// the webhook either denies the write or the written object keeps every HA field byte for byte. The HA fields
// are listed here independently of the policy's own allow-list, so that a gap in one is caught by the other.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import '../../support/fast-check-seed.ts'; // FC_SEED replays a failure
import jsonPatch, { type Operation } from 'fast-json-patch';
import { decide } from '../../../src/policy/decide.ts';
import type { KubeObject } from '../../../src/kube/objects.ts';
import type { Requester } from '../../../src/policy/types.ts';
import { ADMIN, ARGOCD, fakeCluster, FLINK_SA_IMPERSONATED, fixture, PERSON, TEMPLATE_CONFIG } from '../../support/policy.ts';

const config = TEMPLATE_CONFIG();
const LEADER = 'control-plane.alpha.kubernetes.io/leader';
/** The default nonOwnerMetadata: the one key a non-owner may write (README "Configuration"). */
const FREE_ANNOTATION = 'kubernetes.io/description';

/**
 * What Flink wrote and reads back, the labels tools select on, and what the webhook's own marks say: everything but
 * the allow-listed annotation is no non-owner's to change. Cluster admins may set or clear the release/exempt
 * marks (a release), and nothing else: `marks` false leaves them out.
 */
function haFields(cm: KubeObject, marks = true): string {
  const meta = (cm.metadata ?? {}) as Record<string, unknown>;
  // An empty map and no map are the same to the API server (it stores neither).
  const pick = (m: unknown, keep: (k: string) => boolean) => {
    if (typeof m !== 'object' || m === null || Array.isArray(m)) return m;
    const kept = Object.entries(m).filter(([k]) => keep(k)).sort();
    return kept.length ? Object.fromEntries(kept) : undefined;
  };
  return JSON.stringify({
    data: pick(cm.data, () => true), binaryData: pick(cm.binaryData, () => true), immutable: cm.immutable,
    ownerReferences: meta.ownerReferences, finalizers: meta.finalizers,
    labels: pick(meta.labels, (k) => marks || !k.startsWith('flink-ha.io/')),
    annotations: pick(meta.annotations, (k) => k !== FREE_ANNOTATION && (marks || !k.startsWith('flink-ha.io/'))),
  });
}

const sources = [
  () => fixture('flink/ha-configmaps.yaml', 'ConfigMap', 'orders-etl-cluster-config-map'),
  () => fixture('flink/ha-configmaps.yaml', 'ConfigMap', 'orders-etl-00000000000000000000000000000000-config-map'),
  () => fixture('flink/ha-configmaps.yaml', 'ConfigMap', 'legacy-app-dispatcher-leader'),
];
const keyish = fc.constantFrom('counter', 'checkpointID-0000000000000001042', 'checkpointID-0000000000000009999', 'jobGraph-00000000000000000000000000000000',
  'address', 'app', 'type', 'configmap-type', 'team', 'component', LEADER.replace('/', '~1'), 'flink-ha.io~1release', 'flink-ha.io~1exempt', 'example.com~1note',
  FREE_ANNOTATION.replace('/', '~1'), FREE_ANNOTATION.replace('/', '~1'));
const paths = fc.oneof(
  fc.constantFrom('/data', '/binaryData', '/immutable', '/metadata/ownerReferences', '/metadata/finalizers', '/metadata/labels', '/metadata/annotations', '/spec', '/metadata/generateName'),
  keyish.map((k) => `/data/${k}`),
  keyish.map((k) => `/binaryData/${k}`),
  keyish.map((k) => `/metadata/labels/${k}`),
  keyish.map((k) => `/metadata/annotations/${k}`),
);
const values = fc.oneof(fc.string({ maxLength: 12 }), fc.constant(true), fc.constant({}), fc.constant([]),
  fc.constant([{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'd', uid: 'u' }]), fc.dictionary(keyish, fc.string({ maxLength: 5 }), { maxKeys: 3 }), fc.jsonValue({ maxDepth: 2 }));
const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ op: fc.constant('add' as const), path: paths, value: values }),
  fc.record({ op: fc.constant('replace' as const), path: paths, value: values }),
  fc.record({ op: fc.constant('remove' as const), path: paths }),
  fc.record({ op: fc.constant('move' as const), from: paths, path: paths }),
);
const nonOwners: Requester[] = [PERSON, ARGOCD, ADMIN, FLINK_SA_IMPERSONATED, { username: 'system:serviceaccount:default:flink:x', extra: { 'authentication.kubernetes.io/pod-name': ['p'] } }];

describe('HA guard property', () => {
  it('a non-owner\'s patch is denied, or leaves every HA field byte for byte as Flink wrote it', async () => {
    let allowedChanges = 0;
    let denied = 0;
    await fc.assert(fc.asyncProperty(fc.nat(sources.length - 1), fc.array(operation, { minLength: 1, maxLength: 4 }), fc.constantFrom(...nonOwners), async (which, ops, requester) => {
      const old = { ...sources[which]!(), metadata: { ...sources[which]!().metadata, namespace: 'default' } };
      let next: KubeObject;
      try {
        next = jsonPatch.applyPatch(structuredClone(old), structuredClone(ops), false, false).newDocument;
      } catch {
        return; // not a patch the API server would apply either
      }
      if (next.kind !== 'ConfigMap' || next.metadata?.name !== old.metadata?.name) return;
      const d = await decide({ operation: 'UPDATE', object: next, oldObject: old, namespace: 'default', requester, dryRun: false }, { config, cluster: fakeCluster() }, 'validate');
      if (!d.allowed) {
        denied++;
        return;
      }
      allowedChanges++;
      const marks = requester !== ADMIN;
      assert.equal(haFields(next, marks), haFields(old, marks), `allowed ${JSON.stringify(ops)} by ${requester.username}`);
      const free = (cm: KubeObject) => { const v: unknown = cm.metadata?.annotations?.[FREE_ANNOTATION]; return typeof v === 'string' ? Buffer.byteLength(FREE_ANNOTATION) + Buffer.byteLength(v) : 0; };
      assert.ok(free(next) <= config.nonOwnerMetadata.maxBytes || free(next) <= free(old), `allowed ${JSON.stringify(ops)} grows the free annotation past the bound`);
    }), { numRuns: 1500 });
    assert.ok(denied > 300 && allowedChanges > 50, `the generator must exercise both outcomes (denied ${denied}, allowed ${allowedChanges})`);
  });
});
