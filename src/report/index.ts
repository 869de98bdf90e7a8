// One entry for every output format; the CLI picks one by `-o`.
import type { AuditReport } from '../audit/types.ts';
import type { FailOn } from '../audit/summary.ts';
import { renderJson, renderYaml } from './json.ts';
import { renderTable } from './table.ts';
import { renderSarif } from './sarif.ts';
import { renderJunit } from './junit.ts';
import { renderPolicyReports, type PolicyReportApi } from './policyreport.ts';

export const OUTPUT_FORMATS = ['table', 'json', 'yaml', 'sarif', 'junit', 'policyreport'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface RenderOptions {
  failOn: FailOn;
  now: Date;
  toolVersion: string;
  /** The API of `-o policyreport` (default wgpolicyk8s.io/v1alpha2). */
  policyReportApi?: PolicyReportApi;
}

export function render(format: OutputFormat, report: AuditReport, options: RenderOptions): string {
  switch (format) {
    case 'table':
      return renderTable(report);
    case 'json':
      return renderJson(report);
    case 'yaml':
      return renderYaml(report);
    case 'sarif':
      return renderSarif(report, { toolVersion: options.toolVersion });
    case 'junit':
      return renderJunit(report, { failOn: options.failOn, timestamp: options.now.toISOString() });
    case 'policyreport':
      return renderPolicyReports(report, { now: options.now, ...(options.policyReportApi ? { api: options.policyReportApi } : {}) });
  }
}
