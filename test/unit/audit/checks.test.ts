import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defaultConfig } from '../../../src/config/load.ts';
import { buildInventory } from '../../../src/audit/inventory.ts';
import { compiledImagePatterns, indexSnapshot } from '../../../src/snapshot/index.ts';
import type { ClusterFacts } from '../../../src/snapshot/snapshot.ts';
import { runClusterChecks } from '../../../src/audit/checks/index.ts';
import type { KubeObject } from '../../../src/kube/objects.ts';
import { JOB, flinkDeployment, haConfigMap, mutatingConfig, namespace, standaloneJobManager, validatingConfig } from './objects.ts';

const config = defaultConfig();

/** The inventory of these objects: a live read's when `facts` are given, a folder's otherwise. */
function inventory(objects: KubeObject[], facts?: ClusterFacts) {
  return buildInventory(indexSnapshot({ objects: objects.map((object) => ({ object })), defaultNamespace: 'default', facts }, compiledImagePatterns(config)));
}

/** A live cluster where everything the checks read was listed, the webhook is installed, and `flink` has rights. */
function live(objects: KubeObject[], extras: Partial<ClusterFacts> = {}): string[] {
  const namespaces = [...new Set(objects.map((o) => o.metadata?.namespace).filter((n): n is string => n !== undefined))];
  const inv = inventory(objects, {
    namespaces: namespaces.map((n) => namespace(n)),
    serviceAccounts: new Set(namespaces.map((n) => `${n}/flink`)),
    serviceAccountRights: new Map(namespaces.map((n) => [`${n}/flink`, true])),
    webhookConfigurations: { mutating: [mutatingConfig()], validating: [validatingConfig()] },
    workloadsComplete: true,
    ...extras,
  });
  return runClusterChecks(inv, config)
    .filter((f) => f.action !== 'passed')
    .map((f) => `${f.rule} ${f.action} ${f.kind}/${f.namespace ?? ''}/${f.name}`);
}

describe('whole-cluster checks', () => {
  // Each row: a situation a platform team would recognise, and exactly the findings it must produce.
  const table: Array<[string, KubeObject[], string[], Partial<ClusterFacts>?]> = [
    ['a compliant cluster with its HA state: nothing', [flinkDeployment('team-a', 'orders'), haConfigMap('team-a', 'orders')], []],
    [
      'an HA ConfigMap with an ownerReference',
      [flinkDeployment('team-a', 'orders'), haConfigMap('team-a', 'orders', 'cluster-config-map', {}, { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'orders', uid: 'u1' }] })],
      ['no-owner-reference denied ConfigMap/team-a/orders-cluster-config-map'],
    ],
    [
      'two standalone clusters sharing a cluster-id, one operator-derived Deployment that does not count',
      [
        standaloneJobManager('team-bi', 'blue', 'analytics'),
        standaloneJobManager('team-bi', 'green', 'analytics'),
        flinkDeployment('team-bi', 'reports'),
        standaloneJobManager('team-bi', 'reports', 'reports', 2, 'flink', { ownerReferences: [{ apiVersion: 'flink.apache.org/v1beta1', kind: 'FlinkDeployment', name: 'reports', uid: 'u2' }] }),
        haConfigMap('team-bi', 'analytics'),
        haConfigMap('team-bi', 'reports'),
      ],
      ['cluster-id denied Deployment/team-bi/blue', 'cluster-id denied Deployment/team-bi/green'],
    ],
    [
      'HA state whose cluster is gone',
      [haConfigMap('team-c', 'old', 'cluster-config-map', { [`jobGraph-${JOB}`]: 'x' }), haConfigMap('team-c', 'old', `${JOB}-config-map`, { counter: '13', 'checkpointID-0000000000000000011': 'x', 'checkpointID-0000000000000000012': 'y' })],
      ['orphaned-ha-state warned ConfigMap/team-c/old-cluster-config-map'],
    ],
    ['standby JobManagers and no HA state', [flinkDeployment('team-a', 'fresh', 3)], ['standby-without-ha-state warned FlinkDeployment/team-a/fresh']],
    ['one JobManager and no HA state: nothing for this check', [flinkDeployment('team-a', 'single', 1)], []],
    [
      'a ServiceAccount without ConfigMap rights, and one that does not exist',
      [flinkDeployment('team-d', 'a', 1, 'flink'), flinkDeployment('team-d', 'b', 1, 'ghost')],
      ['ha-service-account warned FlinkDeployment/team-d/a', 'ha-service-account warned FlinkDeployment/team-d/b'],
      { serviceAccounts: new Set(['team-d/flink']), serviceAccountRights: new Map([['team-d/flink', false]]) },
    ],
    [
      'the webhook not installed at all',
      [flinkDeployment('team-a', 'orders'), haConfigMap('team-a', 'orders')],
      ['webhook-coverage warned MutatingWebhookConfiguration//flink-ha-webhook', 'webhook-coverage warned ValidatingWebhookConfiguration//flink-ha-webhook'],
      { webhookConfigurations: { mutating: [], validating: [] } },
    ],
    [
      'HA state in a namespace the namespaceSelector excludes, and a guard that fails open',
      [flinkDeployment('kube-system', 'sys'), haConfigMap('kube-system', 'sys'), flinkDeployment('team-a', 'orders'), haConfigMap('team-a', 'orders')],
      ['webhook-coverage warned Namespace//kube-system', 'webhook-coverage warned Namespace//team-a'],
      { webhookConfigurations: { mutating: [mutatingConfig()], validating: [validatingConfig('Ignore')] } },
    ],
    [
      'matchConditions out of step with the config (an owner renamed in one and not the other)',
      [flinkDeployment('team-a', 'orders'), haConfigMap('team-a', 'orders')],
      ['webhook-coverage warned ValidatingWebhookConfiguration//flink-ha-webhook'],
      { webhookConfigurations: { mutating: [mutatingConfig()], validating: [(() => {
        const c = validatingConfig('Fail');
        const w = (c.webhooks as Array<{ matchConditions: Array<{ expression: string }> }>)[0]!;
        w.matchConditions[1]!.expression = w.matchConditions[1]!.expression.replace(":flink'", ":flink-jobs'");
        return c;
      })()] } },
    ],
  ];
  for (const [name, objects, expected, extras] of table) {
    it(name, () => assert.deepEqual(live(objects, extras).sort(), expected.sort()));
  }

  it('says which jobs and which checkpoint orphaned HA state would resume', () => {
    const inv = inventory(
      [haConfigMap('team-c', 'old', 'cluster-config-map', { [`jobGraph-${JOB}`]: 'x' }), haConfigMap('team-c', 'old', `${JOB}-config-map`, { 'checkpointID-0000000000000000011': 'x', 'checkpointID-0000000000000000012': 'y' })],
      { workloadsComplete: true },
    );
    const [finding] = runClusterChecks(inv, config);
    assert.match(finding!.message, new RegExp(`job ${JOB} at checkpoint 12`));
    assert.match(finding!.message, /2 ConfigMaps: old-a1b2.*-config-map, old-cluster-config-map/);
  });

  it('stays silent about orphans when a workload kind could not be listed', () => {
    assert.deepEqual(live([haConfigMap('team-c', 'old')], { workloadsComplete: false }), []);
  });

  it('on a folder of manifests, reports only what the files themselves show', () => {
    const inv = inventory([flinkDeployment('team-a', 'fresh', 3), haConfigMap('team-c', 'old')]);
    assert.deepEqual(runClusterChecks(inv, config), []);
  });
});
