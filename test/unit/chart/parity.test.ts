// One source of truth: manifests/base/ is what the chart renders with its default values, byte for byte
// (`npm run render-manifests` writes it). A hand edit of manifests/base/, or a chart change without a render, fails here.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BASE_DIR, renderBase, VALUES_SCHEMA, valuesSchemaText } from '../../../scripts/render-manifests.ts';
import { ensureHelm } from '../../e2e/harness/helm-binary.ts';

describe('manifests/base is rendered from the chart', () => {
  it('a fresh render of the default values equals the committed files, byte for byte', async () => {
    const rendered = renderBase(await ensureHelm());
    assert.deepEqual(readdirSync(BASE_DIR).sort(), [...rendered.keys()].sort(), 'the same files (run npm run render-manifests)');
    for (const [file, content] of rendered) {
      assert.equal(readFileSync(join(BASE_DIR, file), 'utf8'), content, `manifests/base/${file} differs from the chart's render: run npm run render-manifests`);
    }
  });

  it("the chart's values.schema.json is the one generated from the webhook's config schema", () => {
    assert.equal(readFileSync(VALUES_SCHEMA, 'utf8'), valuesSchemaText(), 'run npm run render-manifests');
  });
});
