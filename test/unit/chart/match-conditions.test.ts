// The API server's filters and the webhook's own config come from the same chart values: for each value set, the
// matchConditions, namespaceSelectors and objectSelector the chart renders are what src/policy/webhook-conditions.ts
// makes of the config file the chart gives the Pods (read with the webhook's own loadConfig, as `serve` reads it).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { loadConfig } from '../../../src/config/load.ts';
import { DEFAULT_CONFIG } from '../../../src/config/defaults.ts';
import type { WebhookConfig } from '../../../src/config/types.ts';
import { frontDoorMatchConditions, haConfigMapMatchConditions, namespaceMatchConditions, workloadMatchConditions } from '../../../src/policy/webhook-conditions.ts';
import { CHART_DIR, find, render, valuesFile, type Doc } from './helm.ts';

const VALUE_SETS: Record<string, Record<string, unknown>> = {
  defaults: {},
  'another HA ServiceAccount': { haServiceAccount: 'flink-jobs' },
  'several operator ServiceAccounts, pinned and not, a dotted name': {
    operatorServiceAccounts: ['flink-operator', 'flink-system:flink-kubernetes-operator', 'ops.operator'],
  },
  'no operator ServiceAccount': { operatorServiceAccounts: [] },
  'requirePodBoundToken false': { requirePodBoundToken: false },
  'imagePatterns with backslashes and a quote': { imagePatterns: ['^registry\\.example\\.com/streaming/', "(^|/)o'brien-flink:"] },
  'other mark keys and namespace label': {
    exemptLabel: 'example.com/exempt', exemptReasonAnnotation: 'example.com/why', releaseAnnotation: 'example.com/release',
    modeLabel: 'example.com/mode', haStateNamespaceLabel: 'example.com/holds-ha-state',
  },
  'excluded namespaces': { excludedNamespaces: ['kube-system', 'team-sandbox'] },
  'a non-owner allow-list with a prefix and another bound': { nonOwnerMetadata: { labels: ['team', 'cost.example.com/*'], annotations: [], maxBytes: 1024 } },
};

/** The config the webhook Pods run with: the chart's ConfigMap, loaded as `serve --config` loads it. */
function podConfig(docs: Doc[]): WebhookConfig {
  const configMap = find(docs, 'ConfigMap', 'flink-ha-webhook-config')!;
  const loaded = loadConfig({ file: valuesFile(configMap.data['webhook.yaml']), env: { FLINK_HA_WEBHOOK_NAMESPACE: 'flink-ha-webhook' } });
  assert.ok(loaded.ok, `the chart's config file is valid: ${loaded.ok ? '' : loaded.errors.join('; ')}`);
  return loaded.config;
}

const webhook = (docs: Doc[], kind: string, name: string) =>
  (find(docs, kind)!.webhooks as Array<Record<string, any>>).find((w) => w.name === name)!;

describe('chart matchConditions and selectors follow the same values as the webhook config', () => {
  for (const [label, config] of Object.entries(VALUE_SETS)) {
    it(label, async () => {
      const docs = await render({ config });
      const pod = podConfig(docs);
      for (const [key, value] of Object.entries(config)) assert.deepEqual((pod as unknown as Record<string, unknown>)[key], key === 'excludedNamespaces' ? [...(value as string[]), 'flink-ha-webhook'] : value, key);

      const validating = (name: string) => webhook(docs, 'ValidatingWebhookConfiguration', name);
      assert.deepEqual(validating('ha-configmaps.flink-ha.io').matchConditions, haConfigMapMatchConditions(pod));
      assert.deepEqual(validating('workloads.flink-ha.io').matchConditions, workloadMatchConditions(pod));
      assert.deepEqual(webhook(docs, 'MutatingWebhookConfiguration', 'workloads.flink-ha.io').matchConditions, workloadMatchConditions(pod));
      assert.deepEqual(validating('flink-resources.flink-ha.io').matchConditions, frontDoorMatchConditions(pod));

      // Every namespaced webhook skips exactly the namespaces the policy excludes (the webhook's own among them).
      const all = [...find(docs, 'ValidatingWebhookConfiguration')!.webhooks, ...find(docs, 'MutatingWebhookConfiguration')!.webhooks];
      for (const w of all) {
        const [expression] = w.namespaceSelector.matchExpressions;
        assert.deepEqual(expression, { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: pod.excludedNamespaces }, w.name);
      }
      // The namespaces webhooks select on the label `serve` maintains.
      assert.equal(validating('namespaces.flink-ha.io').objectSelector.matchExpressions[0].key, pod.haStateNamespaceLabel);
      assert.equal(validating('unmarked-namespaces.flink-ha.io').objectSelector.matchExpressions[0].key, pod.haStateNamespaceLabel);
      assert.equal(validating('releasing-namespaces.flink-ha.io').objectSelector.matchExpressions[0].key, pod.haStateNamespaceLabel);
      assert.deepEqual(validating('namespaces.flink-ha.io').matchConditions, namespaceMatchConditions(pod).labelled, 'labelled namespaces: delete, unlabel, release');
      assert.deepEqual(validating('releasing-namespaces.flink-ha.io').matchConditions, namespaceMatchConditions(pod).release, 'other namespaces: the release annotation');
      assert.match(validating('namespaces.flink-ha.io').matchConditions[0].expression, new RegExp(`'${pod.haStateNamespaceLabel.replaceAll('.', '\\.')}' in oldObject`));
      assert.match(validating('releasing-namespaces.flink-ha.io').matchConditions[0].expression, new RegExp(`'${pod.releaseAnnotation.replaceAll('.', '\\.')}' in oldObject`));
    });
  }

  it("the chart's default config values are the webhook's own defaults, but for a first install's warn mode", () => {
    const values = yaml.load(readFileSync(`${CHART_DIR}/values.yaml`, 'utf8')) as { config: Record<string, unknown> };
    const { storageDirTemplate, checkpointDirTemplate, savepointDirTemplate, mode, ...rest } = values.config;
    // On purpose (issue 24): a first install mutates and denies nothing a team deploys until the platform team has
    // read the audit and set storageDirTemplate; the HA guards (guardMode) keep the webhook's default, enforce.
    assert.equal(mode, 'warn', 'the workload rules warn on a first install');
    assert.equal(rest.guardMode, 'enforce', 'the HA guards are enforced from the first install');
    assert.equal(storageDirTemplate, '', 'no storageDirTemplate (empty in values)');
    assert.equal(checkpointDirTemplate, '', 'no checkpointDirTemplate (empty in values)');
    assert.equal(savepointDirTemplate, '', 'no savepointDirTemplate (empty in values)');
    // tls, server and webhookNamespace are the chart's to set (mounts, ports, the release namespace).
    const { tls: _tls, server: _server, webhookNamespace: _ns, storageDirTemplate: _sd, checkpointDirTemplate: _cd, savepointDirTemplate: _spd, mode: _mode, ...defaults } = DEFAULT_CONFIG;
    assert.deepEqual(rest, defaults);
  });
});
