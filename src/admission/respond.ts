// Last step of the admission flow: the policy's Decision -> an AdmissionReview v1 response. Also the answer
// for a policy that threw (a bug): fail-open with a warning only where the config says mutation may fail open.
import type { FailurePolicy } from '../config/types.ts';
import type { Decision, Phase } from '../policy/types.ts';
import { ADMISSION_API_VERSION, ADMISSION_KIND, type AdmissionResponse, type AdmissionReview } from './types.ts';

/** kubectl shows warnings as they are; the API server truncates long ones, so keep each to one short line. */
export const MAX_WARNING_LENGTH = 256;

export function responseOf(uid: string, decision: Decision): AdmissionResponse {
  const response: AdmissionResponse = { uid, allowed: decision.allowed };
  if (decision.allowed && decision.patch.length > 0) {
    response.patchType = 'JSONPatch';
    response.patch = Buffer.from(JSON.stringify(decision.patch)).toString('base64');
  }
  if (!decision.allowed) {
    const denied = decision.findings.filter((f) => f.action === 'denied');
    const message = decision.status?.message
      ?? (denied.map((f) => `${f.rule}: ${f.message}${f.fix ? ` Fix: ${f.fix}` : ''}`).join('; ') || 'denied by flink-ha-webhook');
    response.status = { code: decision.status?.code ?? 403, message };
  }
  const warnings = decision.warnings.map(shortWarning).filter((w) => w !== '');
  if (warnings.length > 0) response.warnings = warnings;
  if (Object.keys(decision.auditAnnotations).length > 0) response.auditAnnotations = decision.auditAnnotations;
  return response;
}

/**
 * The answer when the policy threw. Validation always fails closed: an error must never let a DELETE or a strip
 * of HA state through. Mutation follows config.mutationFailurePolicy (Ignore: admit unchanged, with a warning).
 */
export function policyErrorResponse(uid: string, phase: Phase, mutationFailurePolicy: FailurePolicy, error: unknown): AdmissionResponse {
  const reason = error instanceof Error ? error.message : String(error);
  const auditAnnotations = { 'policy-error': shortWarning(reason) };
  if (phase === 'mutate' && mutationFailurePolicy === 'Ignore') {
    return {
      uid,
      allowed: true,
      warnings: [shortWarning(`policy-error: flink-ha-webhook could not check this object for Flink HA and admitted it unchanged (${reason})`)],
      auditAnnotations,
    };
  }
  return {
    uid,
    allowed: false,
    status: {
      code: 500,
      message: `policy-error: flink-ha-webhook could not decide this request (${reason}), so it is refused to keep Flink HA state safe; retry, and if it persists report it with the webhook's log line for this request`,
    },
    auditAnnotations,
  };
}

export function reviewOf(response: AdmissionResponse): AdmissionReview {
  return { apiVersion: ADMISSION_API_VERSION, kind: ADMISSION_KIND, response };
}

const NEEDS_CLEANING = /\s\s|[\t\n\r\f\v]|^\s|\s$/;

function shortWarning(text: string): string {
  // Most warnings are already one clean line: test before rewriting (this runs for every warning of every review).
  const line = NEEDS_CLEANING.test(text) ? text.replace(/\s+/g, ' ').trim() : text;
  return line.length <= MAX_WARNING_LENGTH ? line : `${line.slice(0, MAX_WARNING_LENGTH - 3)}...`;
}
