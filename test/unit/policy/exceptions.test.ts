// FlinkHAException: reading one (the CRD's rules, again, for manifests the API server never saw), which objects it
// covers, and what decide() does with it: exempts the rules it names, names itself in the warning and the audit
// annotation, and never touches the HA guards. Expired, misplaced and malformed exceptions exempt nothing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { actionsOf, ask, fakeCluster, fixture, PERSON, TEMPLATE_CONFIG, withField } from '../../support/policy.ts';
import type { KubeObject } from '../../../src/kube/objects.ts';
import type { ClusterView } from '../../../src/policy/types.ts';
import { GUARD_RULE_IDS, readException, WORKLOAD_RULE_IDS } from '../../../src/policy/exceptions.ts';
import { exceptionObjectProblem, matchExceptions, type ExceptionSubject } from '../../../src/policy/exceptions-match.ts';
import { RULES } from '../../../src/policy/rules/index.ts';

const NOW = Date.parse('2026-12-07T12:00:00Z');
const FUTURE = '2027-01-31T00:00:00Z';
const PAST = '2026-12-01T00:00:00Z';
const HONOURED = ['flink-ha-webhook'];

function exception(spec: Record<string, unknown> = {}, namespace = 'flink-ha-webhook', name = 'orders-load-test'): KubeObject {
  return {
    apiVersion: 'flink-ha.io/v1alpha1', kind: 'FlinkHAException',
    metadata: { name, namespace },
    spec: {
      match: { namespaces: ['default'], kinds: ['FlinkDeployment'], names: ['basic-example'] },
      rules: ['standby-jobmanagers', 'ha-enabled'],
      reason: 'load test of a throwaway cluster, no state worth keeping',
      ticket: 'OPS-1234',
      expires: FUTURE,
      ...spec,
    },
  };
}

const without = (key: string): KubeObject => {
  const e = exception();
  delete (e.spec as Record<string, unknown>)[key];
  return e;
};

describe('readException: what the CRD schema refuses is refused here too (manifests, files)', () => {
  const rows: Array<{ name: string; obj: () => KubeObject; problem?: RegExp }> = [
    { name: 'a complete exception', obj: () => exception() },
    { name: 'an owner instead of a ticket', obj: () => exception({ ticket: undefined, owner: 'team-data@example.com' }) },
    { name: 'rules: * (every workload rule)', obj: () => exception({ rules: ['*'] }) },
    { name: 'a label selector instead of names', obj: () => exception({ match: { namespaces: ['default'], selector: { matchLabels: { app: 'orders' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['batch'] }] } } }) },
    { name: 'no expiry', obj: () => without('expires'), problem: /spec\.expires must be an RFC 3339 time.*found none/ },
    { name: 'a date without a time', obj: () => exception({ expires: '2027-01-31' }), problem: /spec\.expires must be an RFC 3339/ },
    { name: 'a local time without a zone', obj: () => exception({ expires: '2027-01-31T00:00:00' }), problem: /spec\.expires must be an RFC 3339/ },
    { name: 'words for an expiry', obj: () => exception({ expires: 'next quarter' }), problem: /spec\.expires/ },
    { name: 'an HA guard among the rules', obj: () => exception({ rules: ['ha-enabled', 'protect-ha-configmap'] }), problem: /protect-ha-configmap is an HA guard, which no exception switches off; its way out is the release annotation flink-ha\.io\/release/ },
    { name: 'the front door among the rules', obj: () => exception({ rules: ['protect-flink-deployment'] }), problem: /protect-flink-deployment is an HA guard/ },
    { name: 'policy-error among the rules', obj: () => exception({ rules: ['policy-error'] }), problem: /policy-error is no workload rule/ },
    { name: 'no rules', obj: () => exception({ rules: [] }), problem: /spec\.rules must list the rules/ },
    { name: 'no reason', obj: () => without('reason'), problem: /spec\.reason must say why/ },
    { name: 'a blank reason', obj: () => exception({ reason: '   ' }), problem: /spec\.reason must say why/ },
    { name: 'neither ticket nor owner', obj: () => without('ticket'), problem: /spec\.ticket or spec\.owner/ },
    { name: 'no namespaces', obj: () => exception({ match: { kinds: ['FlinkDeployment'] } }), problem: /spec\.match\.namespaces must name at least one/ },
    { name: 'a wildcard namespace', obj: () => exception({ match: { namespaces: ['*'] } }), problem: /spec\.match\.namespaces: "\*" is not valid \(no wildcards/ },
    { name: 'no match at all', obj: () => without('match'), problem: /spec\.match is missing/ },
    { name: 'a selector operator Kubernetes does not know', obj: () => exception({ match: { namespaces: ['default'], selector: { matchExpressions: [{ key: 'a', operator: 'Like', values: ['x'] }] } } }), problem: /matchExpressions\[0\] must have a key, an operator/ },
    { name: 'In without values', obj: () => exception({ match: { namespaces: ['default'], selector: { matchExpressions: [{ key: 'a', operator: 'In' }] } } }), problem: /matchExpressions\[0\]/ },
    { name: 'no spec', obj: () => ({ ...exception(), spec: undefined }), problem: /spec is missing/ },
    { name: 'another version', obj: () => ({ ...exception(), apiVersion: 'flink-ha.io/v9' }), problem: /apiVersion must be flink-ha\.io\/v1alpha1/ },
  ];
  for (const row of rows) {
    it(`${row.problem ? 'refuses' : 'reads'} ${row.name}`, () => {
      const read = readException(row.obj());
      if (!row.problem) {
        assert.ok(read.ok, `read: ${JSON.stringify(read)}`);
        return;
      }
      assert.equal(read.ok, false, `${row.name} is refused`);
      assert.ok(!read.ok && read.problems.some((p) => row.problem!.test(p)), `a problem matching ${row.problem}: ${JSON.stringify(read)}`);
    });
  }

  it('rules: * means every workload rule and no guard', () => {
    const read = readException(exception({ rules: ['*'] }));
    assert.ok(read.ok, 'read');
    assert.deepEqual([...read.exception.rules].sort(), [...WORKLOAD_RULE_IDS].sort(), 'every workload rule');
  });

  it('every rule of the catalogue is either a workload rule (exceptable) or an HA guard (never)', () => {
    const known = new Set<string>([...WORKLOAD_RULE_IDS, ...GUARD_RULE_IDS]);
    for (const rule of RULES) assert.ok(known.has(rule.id), `${rule.id} is classed as a workload rule or a guard in src/policy/exceptions.ts`);
    assert.equal(known.size, RULES.length, 'and nothing else is listed');
  });
});

describe('matchExceptions: which exceptions cover an object', () => {
  const subject = (over: Partial<ExceptionSubject> = {}): ExceptionSubject => ({ namespace: 'default', kind: 'FlinkDeployment', name: 'basic-example', labels: { app: 'orders', tier: 'batch' }, ...over });
  const verdictOf = (objs: KubeObject[], s = subject()) => {
    const v = matchExceptions(s, { objects: objs, now: NOW }, HONOURED);
    return { applied: v.applied.map((e) => e.name), expired: v.expired.map((e) => e.name), misplaced: v.misplaced.map((e) => e.name) };
  };
  const NONE = { applied: [], expired: [], misplaced: [] };
  const rows: Array<{ name: string; objs: () => KubeObject[]; s?: ExceptionSubject; want: ReturnType<typeof verdictOf> }> = [
    { name: 'by namespace, kind and name', objs: () => [exception()], want: { ...NONE, applied: ['orders-load-test'] } },
    { name: 'another name', objs: () => [exception()], s: subject({ name: 'payments' }), want: NONE },
    { name: 'another kind of the same name', objs: () => [exception()], s: subject({ kind: 'Deployment' }), want: NONE },
    { name: 'another namespace', objs: () => [exception()], s: subject({ namespace: 'team-b' }), want: NONE },
    { name: 'namespaces only: every object there', objs: () => [exception({ match: { namespaces: ['default'] } })], s: subject({ kind: 'StatefulSet', name: 'x' }), want: { ...NONE, applied: ['orders-load-test'] } },
    { name: 'a selector that matches', objs: () => [exception({ match: { namespaces: ['default'], selector: { matchLabels: { app: 'orders' } } } })], want: { ...NONE, applied: ['orders-load-test'] } },
    { name: 'a selector that does not', objs: () => [exception({ match: { namespaces: ['default'], selector: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['batch'] }] } } })], want: NONE },
    { name: 'expired', objs: () => [exception({ expires: PAST })], want: { ...NONE, expired: ['orders-load-test'] } },
    { name: 'expiring this very moment', objs: () => [exception({ expires: '2026-12-07T12:00:00Z' })], want: { ...NONE, expired: ['orders-load-test'] } },
    { name: 'an offset time still in force', objs: () => [exception({ expires: '2026-12-07T13:30:00+01:00' })], want: { ...NONE, applied: ['orders-load-test'] } },
    { name: "in a user's namespace (exceptions do not count there)", objs: () => [exception({}, 'default')], want: { ...NONE, misplaced: ['orders-load-test'] } },
    { name: 'malformed (a guard among its rules): covers nothing', objs: () => [exception({ rules: ['protect-ha-configmap'] })], want: NONE },
    { name: 'malformed (no expiry): covers nothing', objs: () => [without('expires')], want: NONE },
    { name: 'two, one expired', objs: () => [exception(), exception({ expires: PAST }, 'flink-ha-webhook', 'old')], want: { ...NONE, applied: ['orders-load-test'], expired: ['old'] } },
  ];
  for (const row of rows) {
    it(row.name, () => assert.deepEqual(verdictOf(row.objs(), row.s), row.want, row.name));
  }
});

describe('exceptionObjectProblem: what is wrong with an exception itself', () => {
  it('a good one: nothing', () => assert.equal(exceptionObjectProblem(exception(), 'flink-ha-webhook', HONOURED, NOW), undefined, 'no problem'));
  it('malformed: denied, naming the problem', () => {
    const p = exceptionObjectProblem(exception({ rules: ['no-owner-reference'] }), 'flink-ha-webhook', HONOURED, NOW);
    assert.equal(p?.action, 'denied', 'denied');
    assert.match(p.message, /flink-ha-webhook\/orders-load-test is malformed and exempts nothing: .*no-owner-reference is an HA guard/, 'names itself and the problem');
  });
  it('expired: warned, naming the ticket', () => {
    const p = exceptionObjectProblem(exception({ expires: PAST }), 'flink-ha-webhook', HONOURED, NOW);
    assert.equal(p?.action, 'warned', 'warned');
    assert.match(p.message, /ticket OPS-1234, expires 2026-12-01T00:00:00Z\) expired: it exempts nothing/, 'says it expired');
  });
  it('misplaced: warned, naming where exceptions count', () => {
    const p = exceptionObjectProblem(exception({}, 'team-a'), 'team-a', HONOURED, NOW);
    assert.equal(p?.action, 'warned', 'warned');
    assert.match(p.message, /in namespace team-a, where exceptions do not count \(exceptionNamespaces: flink-ha-webhook\)/, 'says where they count');
  });
});

describe('decide() with exceptions', () => {
  const bare = () => fixture('upstream/basic.yaml', 'FlinkDeployment');
  const none = () => withField(bare(), 'spec.flinkConfiguration', { ...(bare().spec as { flinkConfiguration: Record<string, string> }).flinkConfiguration, 'high-availability.type': 'NONE' });
  const withExceptions = (objects: KubeObject[] | undefined, base = fakeCluster()): ClusterView => ({ ...base, exceptions: () => (objects ? { objects, now: NOW } : undefined) });

  it('exempts the rules it names, and only those; the warning and the audit annotation name it and its ticket', async () => {
    const d = await ask({ object: none(), cluster: withExceptions([exception({ rules: ['ha-enabled'] })]) });
    assert.equal(d.allowed, true, `ha-enabled's denial of NONE is exempt: ${d.status?.message ?? ''}`);
    assert.deepEqual(actionsOf(d, 'ha-enabled'), ['exempt'], 'ha-enabled exempt');
    assert.deepEqual(actionsOf(d, 'standby-jobmanagers'), ['mutated'], `a rule it does not name still mutates: ${JSON.stringify(d.findings)}`);
    const warning = d.warnings.find((w) => w.startsWith('[flink-ha-exception]'));
    assert.match(warning ?? '', /exempt from ha-enabled by FlinkHAException flink-ha-webhook\/orders-load-test \(ticket OPS-1234, expires 2027-01-31T00:00:00Z\): load test/, `the warning names it: ${JSON.stringify(d.warnings)}`);
    assert.match(d.auditAnnotations['flink-ha-exception'] ?? '', /FlinkHAException flink-ha-webhook\/orders-load-test \(ticket OPS-1234/, 'the audit annotation names it');
    assert.match(d.auditAnnotations['ha-enabled'] ?? '', /exempt: .*FlinkHAException flink-ha-webhook\/orders-load-test, ticket OPS-1234/, "the exempt rule's annotation names it");
  });

  it('an expired exception exempts nothing, and the review says so', async () => {
    const d = await ask({ object: none(), cluster: withExceptions([exception({ expires: PAST })]) });
    assert.equal(d.allowed, false, 'ha-enabled denies again');
    assert.ok(d.warnings.some((w) => /^\[flink-ha-exception\] FlinkHAException flink-ha-webhook\/orders-load-test .* covers it but expired: ignored/.test(w)), `warned: ${JSON.stringify(d.warnings)}`);
  });

  it("an exception in a user's namespace exempts nothing, and the review says so", async () => {
    const d = await ask({ object: none(), cluster: withExceptions([exception({}, 'default')]) });
    assert.equal(d.allowed, false, 'ha-enabled denies');
    assert.ok(!d.findings.some((f) => f.action === 'exempt'), 'nothing exempt');
    assert.ok(d.warnings.some((w) => /where exceptions do not count/.test(w)), `warned: ${JSON.stringify(d.warnings)}`);
  });

  it('the config names the namespaces whose exceptions count', async () => {
    const config = TEMPLATE_CONFIG({ exceptionNamespaces: ['platform-exceptions'] });
    assert.equal((await ask({ object: none(), config, cluster: withExceptions([exception({}, 'platform-exceptions')]) })).allowed, true, 'counts there');
    assert.equal((await ask({ object: none(), config, cluster: withExceptions([exception()]) })).allowed, false, 'no longer in the webhook namespace');
  });

  it('exceptions not yet read: none applies, and the review says it could not check', async () => {
    const d = await ask({ object: none(), cluster: withExceptions(undefined) });
    assert.equal(d.allowed, false, 'enforced');
    assert.deepEqual(actionsOf(d, 'flink-ha-exception'), ['unchecked'], 'unchecked note');
  });

  it('notes come once per review: from the mutating half, not the validating one', async () => {
    const d = await ask({ object: none(), cluster: withExceptions([exception()]), phase: 'validate' });
    assert.deepEqual(actionsOf(d, 'flink-ha-exception'), [], 'no note from the validating half');
    assert.ok(actionsOf(d, 'ha-enabled').every((a) => a === 'exempt' || a === 'passed'), 'yet the exemption holds there too');
  });

  it('never opens the front door: deleting the FlinkDeployment that holds HA state is still refused with rules: *', async () => {
    const fd = bare();
    const cm = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', labels: { app: 'basic-example', type: 'flink-native-kubernetes', 'configmap-type': 'high-availability' } }, data: {} });
    const base = fakeCluster({ haConfigMaps: new Map([['default/basic-example', [cm('basic-example-cluster-config-map')]]]) });
    const d = await ask({ oldObject: fd, requester: PERSON, cluster: withExceptions([exception({ rules: ['*'] })], base), phase: 'validate' });
    assert.equal(d.allowed, false, `the front door stays shut: ${JSON.stringify(d.findings)}`);
    assert.deepEqual(actionsOf(d, 'protect-flink-deployment'), ['denied'], 'protect-flink-deployment denies');
  });

  it('never reaches an HA ConfigMap (its guards), even one named in match', async () => {
    const leader = fixture('flink/ha-configmaps.yaml', 'ConfigMap', 'orders-etl-cluster-config-map');
    const e = exception({ rules: ['*'], match: { namespaces: ['default'], kinds: ['ConfigMap'], names: [leader.metadata!.name!] } });
    const d = await ask({ oldObject: leader, requester: PERSON, cluster: withExceptions([e]), phase: 'validate' });
    assert.equal(d.allowed, false, 'deleting HA state is still refused');
    assert.deepEqual(actionsOf(d, 'flink-ha-exception'), [], 'and no exception is mentioned');
  });

  it('an exception object itself is judged: malformed denied, expired warned, good silent', async () => {
    const cluster = withExceptions([]);
    assert.deepEqual(actionsOf(await ask({ object: exception({ expires: 'soon' }), namespace: 'flink-ha-webhook', cluster }), 'flink-ha-exception'), ['denied'], 'malformed');
    assert.deepEqual(actionsOf(await ask({ object: exception({ expires: PAST }), namespace: 'flink-ha-webhook', cluster }), 'flink-ha-exception'), ['warned'], 'expired');
    assert.deepEqual((await ask({ object: exception(), namespace: 'flink-ha-webhook', cluster })).findings, [], 'good');
  });
});
