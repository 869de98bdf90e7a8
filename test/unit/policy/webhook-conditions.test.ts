// The API server's filter in front of the HA guards is generated from the config: the copy in manifests/ must be
// what the generator says for the default config, and each config option must show in it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { defaultConfig } from '../../../src/config/load.ts';
import { HA_STATE_NAME_SOURCE } from '../../../src/flink/ha-configmap.ts';
import { haConfigMapMatchConditions, namespaceMatchConditions, workloadMatchConditions } from '../../../src/policy/webhook-conditions.ts';

interface Webhook { name: string; matchConditions?: Array<{ name: string; expression: string }>; objectSelector?: unknown }

describe('HA ConfigMap webhook matchConditions', () => {
  it('manifests/ holds exactly what the generator makes of the default config', () => {
    const doc = yaml.load(readFileSync(new URL('../../../manifests/base/validating-webhook.yaml', import.meta.url), 'utf8')) as { webhooks: Webhook[] };
    const ha = doc.webhooks.find((w) => w.name === 'ha-configmaps.flink-ha.io')!;
    assert.deepEqual(ha.matchConditions, haConfigMapMatchConditions(defaultConfig()));
    assert.equal(ha.objectSelector, undefined, 'no objectSelector: unlabelled ConfigMaps Flink would adopt must reach the conditions');
  });

  it('the workloads webhooks (mutating and validating) filter with exactly the generated conditions', () => {
    for (const [file, kind] of [['mutating-webhook.yaml', 'mutating'], ['validating-webhook.yaml', 'validating']] as const) {
      const doc = yaml.load(readFileSync(new URL(`../../../manifests/base/${file}`, import.meta.url), 'utf8')) as { webhooks: Webhook[] };
      const w = doc.webhooks.find((x) => x.name === 'workloads.flink-ha.io')!;
      assert.deepEqual(w.matchConditions, workloadMatchConditions(defaultConfig()), kind);
    }
    const custom = workloadMatchConditions(defaultConfig({ imagePatterns: ['^registry\\.example\\.com/streaming/'] }))[0]!.expression;
    assert.match(custom, /c\.image\.matches\('\^registry\\\\\.example/);
    assert.doesNotMatch(custom, /'app'|'component'/, 'labels alone never send an object');
  });

  it('follows the config: owner ServiceAccounts (pinned or not) and the pod-bound token requirement', () => {
    const [, owners] = haConfigMapMatchConditions(defaultConfig({ haServiceAccount: 'flink-jobs', operatorServiceAccounts: ['flink-system:flink-kubernetes-operator'] }));
    assert.match(owners!.expression, /':flink-jobs'/);
    assert.match(owners!.expression, /request\.userInfo\.username == 'system:serviceaccount:flink-system:flink-kubernetes-operator'/);
    assert.match(owners!.expression, /'authentication\.kubernetes\.io\/pod-name' in request\.userInfo\.extra/);
    const [, loose] = haConfigMapMatchConditions(defaultConfig({ requirePodBoundToken: false }));
    assert.doesNotMatch(loose!.expression, /pod-name/);
  });

  it('sends a CREATE under a name Flink\'s HA will use, whatever it holds (the same pattern as the policy)', () => {
    const [haState] = haConfigMapMatchConditions(defaultConfig());
    const source = HA_STATE_NAME_SOURCE.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
    assert.ok(haState!.expression.includes(`(request.operation == 'CREATE' && has(object.metadata.name) && object.metadata.name.matches('${source}'))`), haState!.expression);
  });

  it('the namespaces webhooks in manifests/ filter with the generated conditions, and both see the release annotation', () => {
    const doc = yaml.load(readFileSync(new URL('../../../manifests/base/validating-webhook.yaml', import.meta.url), 'utf8')) as { webhooks: Array<Webhook & { failurePolicy: string; rules: Array<{ operations: string[] }> }> };
    const byName = (name: string) => doc.webhooks.find((w) => w.name === name)!;
    const generated = namespaceMatchConditions(defaultConfig());
    assert.deepEqual(byName('namespaces.flink-ha.io').matchConditions, generated.labelled);
    assert.deepEqual(byName('releasing-namespaces.flink-ha.io').matchConditions, generated.release);
    assert.deepEqual(byName('releasing-namespaces.flink-ha.io').rules[0]!.operations, ['CREATE', 'UPDATE']);
    assert.equal(byName('releasing-namespaces.flink-ha.io').failurePolicy, 'Fail', 'a release set while the webhook is down would stay');
    assert.equal(byName('unmarked-namespaces.flink-ha.io').failurePolicy, 'Ignore', 'deleting an ordinary namespace never waits on the webhook');
    const custom = namespaceMatchConditions(defaultConfig({ releaseAnnotation: 'example.com/release' })).release[0]!.expression;
    assert.match(custom, /'example\.com\/release' in oldObject\.metadata\.annotations/);
    assert.doesNotMatch(custom, /flink-ha\.io\/release/);
  });
});
