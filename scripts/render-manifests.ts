// manifests/base/ is rendered from the Helm chart, the one source of truth: `helm template` with the chart's
// default values, one file per template (so per object kind, as kustomize users know them), the templates'
// comments kept. `npm run render-manifests` writes them; test/unit/chart/parity.test.ts fails when the committed
// files differ from a fresh render, so a hand edit of manifests/base/ or a chart change without a render is caught.
// It writes the chart's values.schema.json too (scripts/chart-values-schema.ts), from the webhook's config schema.
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chartValuesSchema } from './chart-values-schema.ts';

export const REPO_ROOT = join(import.meta.dirname, '..');
export const CHART_DIR = join(REPO_ROOT, 'charts', 'flink-ha-webhook');
export const BASE_DIR = join(REPO_ROOT, 'manifests', 'base');
/** The release the base is rendered as: its name and namespace are the objects' names and namespace. */
export const BASE_RELEASE = { name: 'flink-ha-webhook', namespace: 'flink-ha-webhook' };

const NOTICE = '# Rendered from charts/flink-ha-webhook by `npm run render-manifests`: edit the chart, not this file.\n';
const SOURCE = /^---\n# Source: [^/\n]+\/templates\/([^\n]+)\n/m;

/** manifests/base/ as it should be: file name -> content (kustomization.yaml included). */
export function renderBase(helm: string): Map<string, string> {
  const out = execFileSync(
    helm,
    // Not the openreports CRDs: `kubectl delete -k` would delete them, and with them every other tool's Reports (the
    // chart keeps them on uninstall; kustomize cannot). kustomize users create them once (docs/reports-and-alerts.md).
    ['template', BASE_RELEASE.name, CHART_DIR, '--namespace', BASE_RELEASE.namespace, '--skip-tests', '--set', 'reports.installCRDs=false'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // split() with a capture group alternates: [before, file, doc, file, doc, ...].
  const parts = out.split(SOURCE);
  const docsByFile = new Map<string, string[]>();
  for (let i = 1; i < parts.length; i += 2) {
    const file = parts[i]!;
    const doc = `${parts[i + 1]!.trimEnd()}\n`;
    docsByFile.set(file, [...(docsByFile.get(file) ?? []), doc]);
  }
  const files = new Map<string, string>();
  for (const [file, docs] of docsByFile) files.set(file, NOTICE + docs.join('---\n'));
  files.set(
    'kustomization.yaml',
    NOTICE +
      '# The install objects; manifests/kustomization.yaml (plain) and manifests/cert-manager/ (cert-manager) use them.\n' +
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n' +
      [...docsByFile.keys()].map((f) => `  - ${f}\n`).join(''),
  );
  return files;
}

export const VALUES_SCHEMA = join(CHART_DIR, 'values.schema.json');
export const valuesSchemaText = (): string => `${JSON.stringify(chartValuesSchema(), null, 2)}\n`;

/** Writes the render into manifests/base/, removing files the chart no longer renders. */
export function writeBase(files: Map<string, string>): void {
  for (const stale of readdirSync(BASE_DIR)) if (!files.has(stale)) rmSync(join(BASE_DIR, stale));
  for (const [file, content] of files) writeFileSync(join(BASE_DIR, file), content);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { ensureHelm } = await import('../test/e2e/harness/helm-binary.ts');
  // The schema first: helm template validates the values against it.
  writeFileSync(VALUES_SCHEMA, valuesSchemaText());
  const files = renderBase(await ensureHelm());
  writeBase(files);
  console.error(`render-manifests: wrote ${files.size} files into manifests/base/ and the chart's values.schema.json`);
}
