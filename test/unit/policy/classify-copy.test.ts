// decide() classifies the editable copy of an object from the original's classification (classifyCopy) rather
// than classifying it afresh: this pins that both give the same answer, pointing into the copy, for every fixture.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { classifyCopy, editableCopy } from '../../../src/policy/decide.ts';
import { classify } from '../../../src/flink/workload.ts';
import { defaultConfig } from '../../../src/config/load.ts';
import { fixtures } from '../../support/policy.ts';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures');

describe('classifyCopy: the classification of an editable copy, without classifying it again', () => {
  const patterns = defaultConfig().imagePatterns.map((p) => new RegExp(p));
  const files = ['upstream', 'flink', 'operator'].flatMap((dir) =>
    readdirSync(join(FIXTURES, dir)).filter((f) => f.endsWith('.yaml')).map((f) => `${dir}/${f}`));
  let checked = 0;
  for (const file of files) {
    it(file, () => {
      for (const obj of fixtures(file)) {
        const first = classify(obj, patterns);
        if (first.shape !== 'workload' && first.shape !== 'flink-config' && first.shape !== 'flinkdeployment') continue;
        const draft = editableCopy(obj, first.shape);
        const fast = classifyCopy(first, draft, patterns);
        assert.deepEqual(fast, classify(draft, patterns), `${obj.kind} ${obj.metadata?.name}`);
        if (fast.shape === 'workload') {
          // The rules write through these references: they must be the copy's, never the request's.
          const podSpec = fast.controller === 'Pod' ? draft.spec : (draft.spec as { template: { spec: unknown } }).template.spec;
          assert.equal(fast.podSpec, podSpec);
          assert.ok(fast.podSpec.containers.includes(fast.container), 'the classified container is one of the copy\'s containers');
          assert.notEqual(fast.container, first.shape === 'workload' ? first.container : undefined);
        }
        checked++;
      }
    });
  }
  it('covered workloads and config ConfigMaps', () => assert.ok(checked > 5, `only ${checked} objects checked`));
});
