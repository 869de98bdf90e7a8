// First step of the admission flow: raw request bytes -> a checked AdmissionReview v1 -> the policy's
// PolicyRequest. Anything malformed is answered as an HttpError(400) that says what was wrong and where.
import { isKubeObject } from '../kube/objects.ts';
import type { Operation, PolicyRequest } from '../policy/types.ts';
import { HttpError } from './errors.ts';
import { ADMISSION_API_VERSION, ADMISSION_KIND, type AdmissionRequest } from './types.ts';

const OPERATIONS: ReadonlySet<string> = new Set<Operation>(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']);

export type ParseResult = { ok: true; request: AdmissionRequest } | { ok: false; error: HttpError };

/** Parses and checks a review body. Only what the webhook relies on is checked; unknown fields are kept. */
export function parseReview(body: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (err) {
    // JSON.parse quotes the body in its message: say only where it broke, never what the body holds.
    const at = /position (\d+)/.exec((err as Error).message)?.[1];
    return bad(`the body is not JSON${at ? ` (syntax error at byte ${at})` : ''}; send an admission.k8s.io/v1 AdmissionReview`);
  }
  if (!isRecord(value)) return bad('the body must be a JSON object: an admission.k8s.io/v1 AdmissionReview');
  if (value.apiVersion !== ADMISSION_API_VERSION) {
    return bad(`apiVersion is not ${ADMISSION_API_VERSION}, the only one supported (set admissionReviewVersions: ["v1"] in the webhook configuration)`);
  }
  if (value.kind !== ADMISSION_KIND) return bad(`kind is not ${ADMISSION_KIND}`);
  const request = value.request;
  if (!isRecord(request)) return bad('request is missing or not an object: the API server sends the review in .request');
  if (typeof request.uid !== 'string' || request.uid === '') return bad('request.uid is missing or not a non-empty string: the response must echo it');
  if (typeof request.operation !== 'string' || !OPERATIONS.has(request.operation)) {
    return bad('request.operation is not one of CREATE, UPDATE, DELETE, CONNECT');
  }
  for (const field of ['object', 'oldObject'] as const) {
    const v = request[field];
    if (v !== undefined && v !== null && !isKubeObject(v)) return bad(`request.${field} must be an object or null`);
  }
  if (request.userInfo !== undefined && !isRecord(request.userInfo)) return bad('request.userInfo must be an object');
  if (request.namespace !== undefined && typeof request.namespace !== 'string') return bad('request.namespace must be a string');
  if (request.dryRun !== undefined && typeof request.dryRun !== 'boolean') return bad('request.dryRun must be a boolean');
  return { ok: true, request: request as unknown as AdmissionRequest };
}

/** The policy's view of a review. DELETE carries the stored object in oldObject (object is null). */
export function toPolicyRequest(request: AdmissionRequest): PolicyRequest {
  const user = request.userInfo ?? {};
  const groups = Array.isArray(user.groups) ? user.groups.filter((g): g is string => typeof g === 'string') : undefined;
  const extra = extraOf(user.extra);
  const kind = isRecord(request.kind) && typeof request.kind.kind === 'string' ? request.kind.kind : undefined;
  return {
    operation: request.operation,
    object: isKubeObject(request.object) ? request.object : null,
    oldObject: isKubeObject(request.oldObject) ? request.oldObject : null,
    ...(request.namespace ? { namespace: request.namespace } : {}),
    requester: { username: typeof user.username === 'string' ? user.username : '', ...(groups ? { groups } : {}), ...(extra ? { extra } : {}) },
    dryRun: request.dryRun === true,
    ...(kind ? { kind } : {}),
    ...(typeof request.name === 'string' && request.name !== '' ? { name: request.name } : {}),
  };
}

/** userInfo.extra as string lists; anything else in it is dropped (it can only weaken a claim, never make one). */
function extraOf(extra: unknown): Record<string, string[]> | undefined {
  if (!isRecord(extra)) return undefined;
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(extra)) {
    if (Array.isArray(v)) out[k] = v.filter((s): s is string => typeof s === 'string');
  }
  return out;
}

/** What a log line or metric may say about the reviewed object: identity only, never data. */
export function subjectOf(request: AdmissionRequest): { kind: string; namespace: string; name: string } {
  const obj = isKubeObject(request.object) ? request.object : isKubeObject(request.oldObject) ? request.oldObject : undefined;
  const kind = isRecord(request.kind) && typeof request.kind.kind === 'string' ? request.kind.kind : (obj?.kind ?? '');
  const name = request.name || obj?.metadata?.name || obj?.metadata?.generateName || '';
  return { kind, namespace: request.namespace ?? obj?.metadata?.namespace ?? '', name };
}

function bad(message: string): ParseResult {
  return { ok: false, error: new HttpError(400, message) };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
