// `-o sarif`: SARIF 2.1.0 for code-scanning UIs. One run, the rule catalogue as the driver's rules (help = the fix),
// one result per finding that is not a pass; manifest findings carry file and line, cluster findings a logical
// location (namespace/Kind/name). Exempt findings are results with an in-source suppression: the exemption is there.
import { relative, sep } from 'node:path';
import { RULES } from '../audit/rules.ts';
import { sortFindings } from '../audit/summary.ts';
import type { AuditAction, AuditFinding, AuditReport, AuditRuleId } from '../audit/types.ts';

const LEVEL: Record<AuditAction, 'error' | 'warning' | 'note' | 'none'> = {
  denied: 'error',
  error: 'error',
  warned: 'warning',
  mutated: 'warning',
  unchecked: 'note',
  exempt: 'note',
  passed: 'none',
};

export interface SarifOptions {
  toolVersion: string;
  /** Base for relative artifact URIs (the working directory). */
  baseDir?: string;
}

export function toSarif(report: AuditReport, options: SarifOptions): Record<string, unknown> {
  const ruleIds = Object.keys(RULES) as AuditRuleId[];
  const findings = sortFindings(report.findings.filter((f) => f.action !== 'passed'));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'flink-ha-webhook',
            version: options.toolVersion,
            rules: ruleIds.map((id) => ({
              id,
              name: id.replace(/(^|-)([a-z])/g, (_m, _d: string, c: string) => c.toUpperCase()),
              shortDescription: { text: RULES[id].title },
              help: { text: RULES[id].help },
              properties: { scope: RULES[id].scope },
            })),
          },
        },
        results: findings.map((f) => resultOf(f, ruleIds.indexOf(f.rule), options.baseDir ?? process.cwd())),
        invocations: [
          {
            executionSuccessful: report.errors.length === 0,
            toolExecutionNotifications: report.errors.map((e) => ({ level: 'error', message: { text: `${e.where}: ${e.message}` } })),
          },
        ],
      },
    ],
  };
}

function resultOf(f: AuditFinding, ruleIndex: number, baseDir: string): Record<string, unknown> {
  const qualified = `${f.namespace ? `${f.namespace}/` : ''}${f.kind}/${f.name}`;
  const location: Record<string, unknown> = {
    logicalLocations: [{ name: f.name, fullyQualifiedName: qualified, kind: 'resource' }],
  };
  if (f.file && f.file !== '-') {
    location.physicalLocation = {
      artifactLocation: { uri: artifactUri(f.file, baseDir) },
      ...(f.line ? { region: { startLine: f.line } } : {}),
    };
  }
  return {
    ruleId: f.rule,
    ruleIndex,
    level: LEVEL[f.action],
    message: { text: `${qualified}: ${f.message}${f.fix ? ` Fix: ${f.fix}` : ''}` },
    locations: [location],
    properties: { action: f.action, ...(f.clusterId ? { clusterId: f.clusterId } : {}) },
    ...(f.action === 'exempt' ? { suppressions: [{ kind: 'inSource', justification: f.message }] } : {}),
  };
}

/** A relative URI with forward slashes, each segment percent-encoded (SARIF wants a uri-reference). */
function artifactUri(file: string, baseDir: string): string {
  const rel = relative(baseDir, file) || file;
  return rel.split(sep).map(encodeURIComponent).join('/');
}

export function renderSarif(report: AuditReport, options: SarifOptions): string {
  return `${JSON.stringify(toSarif(report, options), null, 2)}\n`;
}
