// Property: whatever JSON value a user puts in any field the policy reads of a realistic Flink manifest, the CLI's
// reader and the policy answer: no throw, no stack trace, exit 0/1/2 only, and a value of the wrong type is named
// by its JSON path (a finding, or an input error for metadata). Manifests are the upstream examples in fixtures/.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import '../../support/fast-check-seed.ts'; // FC_SEED replays a failure
import yaml from 'js-yaml';
import { runCli, STACK_TRACE } from '../../support/cli.ts';

const FIX = join(import.meta.dirname, '..', '..', 'fixtures', 'upstream');
const load = (file: string, kind: string) => (yaml.loadAll(readFileSync(join(FIX, file), 'utf8')) as Array<Record<string, unknown>>).find((d) => d.kind === kind)!;

type Path = Array<string | number>;
/** A manifest and the paths the policy reads in it, each with the type the API expects there. */
const SUBJECTS: Array<{ name: string; object: Record<string, unknown>; paths: Array<[Path, 'string' | 'integer' | 'map' | 'list']> }> = [
  {
    name: 'FlinkDeployment (basic.yaml)',
    object: load('basic.yaml', 'FlinkDeployment'),
    paths: [
      [['spec', 'flinkConfiguration'], 'map'],
      [['spec', 'flinkConfiguration', 'high-availability.type'], 'string'],
      [['spec', 'flinkConfiguration', 'high-availability.storageDir'], 'string'],
      [['spec', 'jobManager'], 'map'],
      [['spec', 'jobManager', 'replicas'], 'integer'],
      [['spec', 'serviceAccount'], 'string'],
      [['spec', 'image'], 'string'],
      [['spec', 'flinkVersion'], 'string'],
      [['metadata', 'labels'], 'map'],
      [['metadata', 'name'], 'string'],
    ],
  },
  {
    name: 'standalone JobManager Deployment (jobmanager-session-deployment-ha.yaml)',
    object: load('jobmanager-session-deployment-ha.yaml', 'Deployment'),
    paths: [
      [['spec', 'replicas'], 'integer'],
      [['spec', 'template', 'metadata', 'labels'], 'map'],
      [['spec', 'template', 'spec', 'containers', 0, 'args'], 'list'],
      [['spec', 'template', 'spec', 'containers', 0, 'args', 1], 'string'],
      [['spec', 'template', 'spec', 'containers', 0, 'env'], 'list'],
      [['spec', 'template', 'spec', 'containers', 0, 'env', 0], 'map'],
      [['spec', 'template', 'spec', 'containers', 0, 'image'], 'string'],
      [['spec', 'template', 'spec', 'containers', 0, 'volumeMounts'], 'list'],
      [['spec', 'template', 'spec', 'volumes'], 'list'],
      [['spec', 'template', 'spec', 'serviceAccountName'], 'string'],
    ],
  },
  {
    name: 'standalone JobManager Job (jobmanager-application-ha.yaml)',
    object: load('jobmanager-application-ha.yaml', 'Job'),
    paths: [
      [['spec', 'parallelism'], 'integer'],
      [['spec', 'template', 'spec', 'containers', 0, 'args'], 'list'],
      [['spec', 'template', 'spec', 'containers', 0, 'args', 0], 'string'],
      [['metadata', 'ownerReferences'], 'list'],
    ],
  },
];

function setAt(obj: unknown, path: Path, value: unknown): void {
  let node = obj as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = typeof path[path.indexOf(key) + 1] === 'number' ? [] : {};
    node = node[key] as Record<string | number, unknown>;
  }
  node[path.at(-1)!] = value;
}

function typeMatches(value: unknown, expected: 'string' | 'integer' | 'map' | 'list'): boolean {
  if (value === null) return true; // null is "absent" to the API server
  switch (expected) {
    case 'string': return typeof value === 'string';
    case 'integer': return Number.isInteger(value);
    case 'map': return typeof value === 'object' && !Array.isArray(value);
    case 'list': return Array.isArray(value);
  }
}

/** The path as the messages write it: `spec.template.spec.containers[0].args[1]`. */
const dotted = (path: Path) => path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${p}`)).join('');

describe('fuzz: arbitrary JSON in every field the policy reads', () => {
  for (const subject of SUBJECTS) {
    it(subject.name, async () => {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...subject.paths), fc.jsonValue({ maxDepth: 3 }), async ([path, expected], value) => {
          const object = structuredClone(subject.object);
          setAt(object, path, value);
          const text = JSON.stringify(object);
          for (const face of ['dry-run', 'audit'] as const) {
            const r = await runCli([face, '-', '-o', 'json'], { stdin: text, env: { FLINK_HA_STORAGE_DIR_TEMPLATE: 's3://ha/{namespace}/{clusterId}' } });
            assert.ok(r.code === 0 || r.code === 1 || r.code === 2, `${face} exit ${r.code}`);
            assert.doesNotMatch(r.stderr, STACK_TRACE);
            assert.doesNotMatch(r.stderr, /unexpected failure/);
            // A wrong type is named by its path (deeper paths than the value's own are fine: a map's bad member).
            if (!typeMatches(value, expected)) assert.ok(`${r.stdout}${r.stderr}`.includes(dotted(path)), `${face}: ${dotted(path)} = ${JSON.stringify(value)} not named:\n${r.stderr}\n${r.stdout.slice(0, 2000)}`);
          }
        }),
        { numRuns: 60 },
      );
    });
  }
});
