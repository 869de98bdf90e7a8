import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderJunit } from '../../../src/report/junit.ts';
import { sampleReport } from './sample-report.ts';
import { junitErrors } from './validators.ts';

async function assertValid(xml: string): Promise<void> {
  assert.deepEqual(await junitErrors(xml), []);
}

describe('JUnit report', () => {
  const timestamp = '2026-01-01T00:00:00.000Z';

  it('validates against the Jenkins JUnit XSD, with hostile characters in messages', async () => {
    await assertValid(renderJunit(sampleReport(), { failOn: 'deny', timestamp }));
  });

  it('validates when there is nothing to report', async () => {
    await assertValid(renderJunit({ ...sampleReport(), findings: [], errors: [] }, { failOn: 'deny', timestamp }));
  });

  // Each row: --fail-on, and the failures/errors/skipped the dashboard must show (it must agree with the exit code).
  const table: Array<[string, 'deny' | 'warn' | 'never', { failures: number; errors: number; tests: number }]> = [
    ['deny fails only would-be denials', 'deny', { failures: 1, errors: 2, tests: 9 }],
    ['warn also fails warnings and would-be mutations', 'warn', { failures: 4, errors: 2, tests: 9 }],
    ['never fails nothing but still shows errors', 'never', { failures: 0, errors: 2, tests: 9 }],
  ];
  for (const [name, failOn, expected] of table) {
    it(name, () => {
      const xml = renderJunit(sampleReport(), { failOn, timestamp });
      const root = /<testsuites [^>]*tests="(\d+)" failures="(\d+)" errors="(\d+)"/.exec(xml)!;
      assert.deepEqual({ tests: Number(root[1]), failures: Number(root[2]), errors: Number(root[3]) }, expected);
      assert.equal((xml.match(/<failure /g) ?? []).length, expected.failures);
    });
  }

  it('has a test case per object and rule, named by rule, classed by namespace.kind.name', () => {
    const xml = renderJunit(sampleReport(), { failOn: 'deny', timestamp });
    assert.match(xml, /<testsuite name="FlinkDeployment team-a\/orders \(test\/fixtures\/audit\/team a\/orders.yaml:3\)" tests="3"/);
    assert.match(xml, /<testcase name="ha-storage-dir" classname="team-a.FlinkDeployment.orders" time="0"><failure type="denied" message="no storageDir &lt;s3:\/\/\?&gt; &amp; &quot;quotes&quot;">/);
    assert.match(xml, /<testcase name="standby-jobmanagers" classname="team-a.FlinkDeployment.orders" time="0"\/>/);
    assert.match(xml, /<testcase name="ha-enabled" classname="team-b.Deployment.batch-jm" time="0"><skipped\/>/);
  });
});
