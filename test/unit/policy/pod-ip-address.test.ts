import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { actionsOf, applyPatch, ask, fixture } from '../../support/policy.ts';
import type { KubeObject } from '../../../src/kube/objects.ts';

const session = () => fixture('upstream/jobmanager-session-deployment-ha.yaml', 'Deployment');
const application = () => fixture('upstream/jobmanager-application-ha.yaml', 'Job');
const container = (o: KubeObject): any => (o.kind === 'Pod' ? (o.spec as any) : (o.spec as any).template.spec).containers[0];
const edit = (o: KubeObject, f: (c: any) => void): KubeObject => { f(container(o)); return o; };

const rows: Array<{ name: string; object: KubeObject; action: string; args?: string[]; env?: string }> = [
  { name: 'the docs\' HA session Deployment already advertises $(POD_IP)', object: session(), action: 'passed', args: ['jobmanager', '$(POD_IP)'] },
  { name: 'the docs\' HA application Job already uses --host $(POD_IP)', object: application(), action: 'passed' },
  { name: 'session without the host arg or env gets both', object: edit(session(), (c) => { c.args = ['jobmanager']; delete c.env; }), action: 'mutated', args: ['jobmanager', '$(POD_IP)'], env: 'POD_IP' },
  { name: 'session keeps its -D args after the host', object: edit(session(), (c) => { c.args = ['jobmanager', '-Dfoo=bar']; }), action: 'mutated', args: ['jobmanager', '$(POD_IP)', '-Dfoo=bar'] },
  { name: 'application without --host gets it right after standalone-job', object: edit(application(), (c) => { c.args = ['standalone-job', '--job-classname', 'com.example.Job']; }), action: 'mutated', args: ['standalone-job', '--host', '$(POD_IP)', '--job-classname', 'com.example.Job'] },
  { name: 'a POD_IP used for something else is not overwritten', object: edit(session(), (c) => { c.args = ['jobmanager']; c.env = [{ name: 'POD_IP', value: '1.2.3.4' }]; }), action: 'mutated', args: ['jobmanager', '$(FLINK_HA_POD_IP)'], env: 'FLINK_HA_POD_IP' },
  { name: 'the operator\'s own variable name is accepted', object: edit(session(), (c) => { c.args = ['jobmanager', '$(_POD_IP_ADDRESS)']; c.env = [{ name: '_POD_IP_ADDRESS', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }]; }), action: 'passed' },
  { name: 'a Service name as the host is denied (standbys unreachable)', object: edit(session(), (c) => { c.args = ['jobmanager', 'flink-jobmanager']; }), action: 'denied' },
  { name: 'a JobManager with no entrypoint args is denied with the fix', object: edit(session(), (c) => { delete c.args; }), action: 'denied' },
];

describe('pod-ip-address', () => {
  for (const row of rows) {
    it(row.name, async () => {
      const d = await ask({ object: row.object });
      assert.deepEqual([...new Set(actionsOf(d, 'pod-ip-address'))], [row.action]);
      const c = container(applyPatch(row.object, d));
      if (row.args) assert.deepEqual(c.args.slice(0, row.args.length), row.args);
      if (row.env) assert.ok(c.env.some((e: any) => e.name === row.env && e.valueFrom.fieldRef.fieldPath === 'status.podIP'), `${row.env} from status.podIP: ${JSON.stringify(c.env)}`);
    });
  }

  it('mutates a standalone JobManager Pod on CREATE (the safety net), never on UPDATE (immutable)', async () => {
    const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'jm-0', labels: { app: 'flink', component: 'jobmanager' } }, spec: { serviceAccountName: 'flink', containers: [{ name: 'jobmanager', image: 'flink:1.20', args: ['jobmanager'] }] } };
    assert.deepEqual([...new Set(actionsOf(await ask({ object: pod }), 'pod-ip-address'))], ['mutated']);
    assert.deepEqual(actionsOf(await ask({ object: pod, oldObject: pod }), 'pod-ip-address'), []);
  });

  it('leaves TaskManagers and native JobManagers alone', async () => {
    assert.deepEqual(actionsOf(await ask({ object: fixture('flink/taskmanager-session-deployment.yaml', 'Deployment') }), 'pod-ip-address'), []);
    assert.deepEqual(actionsOf(await ask({ object: fixture('flink/native-jobmanager.yaml', 'Deployment') }), 'pod-ip-address'), []);
  });
});
