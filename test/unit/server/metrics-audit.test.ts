// The findings gauge's label cardinality is bounded whatever the cluster: at most metricsMaxNamespaces namespaces
// are named (the most findings first), the rest summed under _other, cluster-wide findings under _cluster; the sums
// stay true, passes are not counted.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CLUSTER_NAMESPACE, findingCounts, OTHER_NAMESPACES } from '../../../src/server/metrics-audit.ts';
import type { AuditFinding } from '../../../src/audit/types.ts';

const f = (namespace: string | undefined, action: AuditFinding['action'] = 'denied', rule: AuditFinding['rule'] = 'ha-enabled'): AuditFinding =>
  ({ rule, action, kind: 'Deployment', name: 'x', namespace, message: 'm' });

describe('findingCounts', () => {
  it('names the namespaces with most findings, sums the rest under _other, keeps every total', () => {
    const findings = [
      ...Array.from({ length: 5 }, () => f('big')),
      ...Array.from({ length: 3 }, () => f('mid')),
      ...Array.from({ length: 300 }, (_, i) => f(`small-${i}`)),
      f(undefined, 'warned', 'webhook-coverage'),
      f('big', 'passed'),
    ];
    const counts = [...findingCounts(findings, 2).values()];
    const of = (ns: string) => counts.find((c) => c.namespace === ns)?.count;
    assert.equal(of('big'), 5, 'the namespace with most findings is named');
    assert.equal(of('mid'), 3);
    assert.equal(of(OTHER_NAMESPACES), 300, 'the 300 others are one series');
    assert.equal(of(CLUSTER_NAMESPACE), 1, 'cluster-wide findings');
    assert.equal(counts.length, 4, 'series: 2 named + _other + _cluster');
    assert.equal(counts.reduce((n, c) => n + c.count, 0), findings.length - 1, 'every finding but the pass is counted once');
  });

  it('0 named namespaces: one series per rule and action', () => {
    const counts = [...findingCounts([f('a'), f('b'), f('c', 'warned')], 0).values()];
    assert.deepEqual(counts.map((c) => [c.namespace, c.action, c.count]), [[OTHER_NAMESPACES, 'denied', 2], [OTHER_NAMESPACES, 'warned', 1]]);
  });
});
