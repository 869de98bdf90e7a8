// `-o junit`: a test suite per object and a test case per (object, rule), for CI dashboards. A case fails when its
// finding crosses the --fail-on threshold (so the dashboard and the exit code agree), is skipped when exempt or
// unchecked, and passes otherwise; inputs that could not be read are a suite of errors.
import { whereOf } from '../sources/origin.ts';
import type { AuditFinding, AuditReport } from '../audit/types.ts';
import { failsThreshold, type FailOn } from '../audit/summary.ts';

export interface JunitOptions {
  failOn: FailOn;
  /** ISO timestamp of the run (passed in so that tests are deterministic). */
  timestamp: string;
}

export function renderJunit(report: AuditReport, options: JunitOptions): string {
  const suites = new Map<string, AuditFinding[]>();
  for (const f of report.findings) {
    const key = `${f.kind} ${f.namespace ? `${f.namespace}/` : ''}${f.name}${f.file ? ` (${whereOf({ file: f.file, line: f.line, item: f.item })})` : ''}`;
    let list = suites.get(key);
    if (!list) suites.set(key, (list = []));
    list.push(f);
  }
  let totalTests = 0;
  let totalFailures = 0;
  let totalErrors = 0;
  const body: string[] = [];
  for (const [name, findings] of suites) {
    let failures = 0;
    let errors = 0;
    let skipped = 0;
    const cases = findings.map((f) => {
      const classname = [f.namespace, f.kind, f.name].filter(Boolean).join('.');
      const text = `${f.message}${f.fix ? `\nfix: ${f.fix}` : ''}`;
      let inner = '';
      if (f.action === 'error') {
        errors++;
        inner = `<error type="${f.action}" message="${attr(f.message)}">${xmlText(text)}</error>`;
      } else if (failsThreshold([f], options.failOn)) {
        failures++;
        inner = `<failure type="${f.action}" message="${attr(f.message)}">${xmlText(text)}</failure>`;
      } else if (f.action === 'exempt' || f.action === 'unchecked') {
        skipped++;
        inner = `<skipped/><system-out>${xmlText(`${f.action}: ${text}`)}</system-out>`;
      } else if (f.action !== 'passed') {
        inner = `<system-out>${xmlText(`${f.action}: ${text}`)}</system-out>`;
      }
      return `    <testcase name="${attr(f.rule)}" classname="${attr(classname)}" time="0"${inner ? `>${inner}</testcase>` : '/>'}`;
    });
    totalTests += findings.length;
    totalFailures += failures;
    totalErrors += errors;
    const file = findings[0]?.file;
    body.push(
      `  <testsuite name="${attr(name)}" tests="${findings.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="0" timestamp="${options.timestamp}"${file ? ` package="${attr(file)}"` : ''}>`,
      ...cases,
      '  </testsuite>',
    );
  }
  if (report.errors.length > 0) {
    totalTests += report.errors.length;
    totalErrors += report.errors.length;
    body.push(`  <testsuite name="inputs" tests="${report.errors.length}" failures="0" errors="${report.errors.length}" time="0" timestamp="${options.timestamp}">`);
    for (const e of report.errors) {
      body.push(`    <testcase name="${attr(e.where)}" classname="inputs" time="0"><error type="input" message="${attr(e.message)}">${xmlText(e.message)}</error></testcase>`);
    }
    body.push('  </testsuite>');
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="flink-ha-webhook audit" tests="${totalTests}" failures="${totalFailures}" errors="${totalErrors}" time="0">`,
    ...body,
    '</testsuites>',
    '',
  ].join('\n');
}

/** XML 1.0 cannot carry most control characters at all, escaped or not: drop them. */
function clean(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '');
}

function xmlText(s: string): string {
  return clean(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attr(s: string): string {
  return xmlText(s).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;').replace(/\r/g, '&#13;');
}
