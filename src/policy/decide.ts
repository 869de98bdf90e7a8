// The policy's single entry point. STUB: replaced by the rule engine (issue 2); allows everything for now.
import type { Decision, Phase, PolicyContext, PolicyRequest } from './types.ts';
import { describeObject } from '../kube/objects.ts';

export function decide(request: PolicyRequest, _ctx: PolicyContext, _phase: Phase = 'both'): Promise<Decision> {
  const obj = request.object ?? request.oldObject;
  return Promise.resolve({
    allowed: true,
    patch: [],
    object: request.object,
    findings: [],
    warnings: [],
    auditAnnotations: {},
    subject: describeObject(obj),
  });
}
