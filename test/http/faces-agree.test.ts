// The house rule, checked: the webhook, `dry-run` and `audit` give the same answer about the same object. Every
// fixture folder goes through `dry-run -o json` and `audit -o json` (in-process), and each object through the real
// server's /mutate then /validate with the same snapshot-backed view; the rule outcomes per object must be equal.
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import jsonPatch from 'fast-json-patch';
import { decide } from '../../src/policy/decide.ts';
import type { Finding } from '../../src/policy/types.ts';
import { snapshotClusterView } from '../../src/snapshot/cluster-view.ts';
import { judgeRank } from '../../src/snapshot/judge.ts';
import { manifestSnapshot, readManifests } from '../../src/sources/manifests.ts';
import type { KubeObject } from '../../src/kube/objects.ts';
import { runCli } from '../support/cli.ts';
import { admissionResponseOf, postRaw, startTestServer, type TestServer } from './helpers.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const ENV = { FLINK_HA_STORAGE_DIR_TEMPLATE: 's3://flink-ha/{namespace}/{clusterId}' };

/** Every folder under test/fixtures that holds manifests (not reviews, schemas or CRDs). */
function fixtureFolders(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    const entries = readdirSync(dir);
    if (entries.some((e) => /\.(ya?ml|json)$/.test(e) && !/README/.test(e))) out.push(dir);
    for (const e of entries) if (statSync(join(dir, e)).isDirectory()) walk(join(dir, e));
  };
  walk(FIXTURES);
  return out.filter((d) => !/\/(reviews|schemas|crds)$/.test(d));
}

type Outcomes = Map<string, string[]>;
const add = (m: Outcomes, key: string, action: string) => m.set(key, [...(m.get(key) ?? []), action].sort());
const keyOf = (kind: string, namespace: string | undefined, name: string, rule: string) => `${kind} ${namespace ?? ''}/${name} ${rule}`;
const RULES_OF_THE_POLICY = /^(ha-enabled|ha-storage-dir|cluster-id|ha-namespace|standby-jobmanagers|pod-ip-address|ha-service-account|protect-ha-configmap|no-owner-reference|no-ha-data-strip|protect-namespace|protect-flink-deployment|checkpoint-dir|policy-error|flink-ha-exception|legacy-exempt-label)$/;

describe('dry-run, audit and the webhook agree on every fixture folder', () => {
  let server: TestServer;
  let view: ReturnType<typeof snapshotClusterView> | undefined;
  /** What the real server's decide() answered, per object and phase, captured as it passes through. */
  const seen = new Map<string, Finding[]>();
  before(async () => {
    server = await startTestServer({
      config: { storageDirTemplate: ENV.FLINK_HA_STORAGE_DIR_TEMPLATE },
      cluster: {
        // Each folder's own snapshot view answers, as in dry-run and audit.
        namespaceMeta: (ns) => view!.namespaceMeta(ns),
        serviceAccountExists: (ns, n) => view!.serviceAccountExists(ns, n),
        serviceAccountCanManageConfigMaps: (ns, n) => view!.serviceAccountCanManageConfigMaps(ns, n),
        flinkClusterIds: (ns) => view!.flinkClusterIds(ns),
        knownFlinkClusterIds: (ns) => view!.knownFlinkClusterIds!(ns),
        namespaceHoldsHaState: (ns) => view!.namespaceHoldsHaState(ns),
        configMap: (ns, n) => view!.configMap!(ns, n),
        flinkDeployment: (ns, n) => view!.flinkDeployment!(ns, n),
        haConfigMapsOf: (ns, id) => view!.haConfigMapsOf!(ns, id),
        boundPod: (ns, n) => view!.boundPod!(ns, n),
        // The FlinkHAExceptions among the folder's manifests (test/fixtures/exceptions), as dry-run and audit read them.
        exceptions: () => view!.exceptions!(),
      },
      decide: async (request, ctx, phase) => {
        const d = await decide(request, ctx, phase);
        const obj = request.object ?? request.oldObject;
        seen.set(`${phase} ${obj?.kind} ${request.namespace}/${obj?.metadata?.name}`, d.findings);
        return d;
      },
    });
  });
  after(() => server.close());

  for (const folder of fixtureFolders()) {
    it(relative(FIXTURES, folder), async () => {
      const dry = await runCli(['dry-run', folder, '-o', 'json'], { env: ENV });
      const audit = await runCli(['audit', folder, '-o', 'json'], { env: ENV });
      assert.ok(dry.code !== null && [0, 1, 2].includes(dry.code), dry.stderr);
      assert.equal(audit.code === 2, dry.code === 2, 'an input error in one face is one in the other');
      const fromDry: Outcomes = new Map();
      for (const r of JSON.parse(dry.stdout) as Array<{ kind: string; namespace: string; name: string; findings: Array<{ rule: string; action: string }> }>) {
        for (const f of r.findings) add(fromDry, keyOf(r.kind, r.namespace || undefined, r.name, f.rule), f.action);
      }
      const fromAudit: Outcomes = new Map();
      for (const f of (JSON.parse(audit.stdout) as { findings: Array<{ rule: string; action: string; kind: string; namespace?: string; name: string }> }).findings) {
        if (RULES_OF_THE_POLICY.test(f.rule)) add(fromAudit, keyOf(f.kind, f.namespace, f.name, f.rule), f.action);
      }
      assert.ok(fromDry.size > 0, 'the folder produced findings to compare');
      assert.deepEqual([...fromAudit].sort(), [...fromDry].sort(), 'dry-run and audit');

      // The webhook: each object as a CREATE review, in the order dry-run judges them (config ConfigMaps first),
      // through /mutate, then its patched self through /validate, as the API server would send it.
      const { snapshot } = manifestSnapshot(readManifests([folder]), 'default');
      view = snapshotClusterView(snapshot, server.config.imagePatterns.map((p) => new RegExp(p)));
      const fromWebhook: Outcomes = new Map();
      for (const { object } of [...snapshot.objects].sort((a, b) => judgeRank(a.object) - judgeRank(b.object))) {
        const namespace = object.kind === 'Namespace' ? object.metadata?.name : (object.metadata?.namespace ?? 'default');
        const review = (obj: KubeObject, uid: string) => JSON.stringify({
          apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
          request: { uid, operation: 'CREATE', namespace, object: obj, oldObject: null, userInfo: { username: 'dry-run-user' }, dryRun: true },
        });
        const mutated = admissionResponseOf(await postRaw(`${server.url}/mutate`, review(object, 'm'), { ca: server.ca }));
        const patched = mutated.patch
          ? (jsonPatch.applyPatch(structuredClone(object), JSON.parse(Buffer.from(mutated.patch, 'base64').toString('utf8'))).newDocument)
          : object;
        if (mutated.patch) view.update(patched, namespace ?? '');
        admissionResponseOf(await postRaw(`${server.url}/validate`, review(patched, 'v'), { ca: server.ca }));
        const ns = object.kind === 'Namespace' ? undefined : namespace;
        for (const phase of ['mutate', 'validate'] as const) {
          for (const f of seen.get(`${phase} ${object.kind} ${namespace}/${object.metadata?.name}`) ?? []) {
            add(fromWebhook, keyOf(object.kind ?? '', ns, object.metadata?.name ?? '', f.rule), f.action);
          }
        }
      }
      assert.deepEqual([...fromWebhook].sort(), [...fromDry].sort(), 'the webhook and dry-run');
      if (relative(FIXTURES, folder) === 'exceptions') {
        // The faces agree on exceptions because each one applied them, not because none did.
        assert.deepEqual(fromWebhook.get('FlinkDeployment team-a/orders ha-enabled'), ['exempt'], 'the webhook applied the exception in force');
        assert.deepEqual(fromWebhook.get('FlinkDeployment team-a/payments flink-ha-exception'), ['warned', 'warned'], 'and reported the expired and the misplaced one');
        assert.deepEqual(fromWebhook.get('FlinkHAException flink-ha-webhook/guard-attempt flink-ha-exception'), ['denied'], 'and the malformed one');
        assert.deepEqual(fromWebhook.get('FlinkDeployment team-a/legacy legacy-exempt-label'), ['warned'], 'and the retired label');
      }
    });
  }
});
