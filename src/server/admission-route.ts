// The hot path: POST /mutate and /validate. Reads the raw body itself and writes the answer directly, because
// express's JSON parser, res.json and etag cost the webhook most of its throughput (see bench/admission.bench.ts).
// Flow: bytes -> (started with the rest of the turn's reviews, review-stage.ts) admission/parse -> policy
// decide(request, ctx, phase) -> admission/respond -> bytes, written with the rest of the turn's answers
// (reply-batch.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { HttpError, statusBody } from '../admission/errors.ts';
import { parseReview, subjectOf, toPolicyRequest } from '../admission/parse.ts';
import { policyErrorResponse, responseOf, reviewOf } from '../admission/respond.ts';
import type { AdmissionRequest, AdmissionResponse } from '../admission/types.ts';
import type { WebhookConfig } from '../config/types.ts';
import { decide as policyDecide } from '../policy/decide.ts';
import type { ClusterView, Finding, PolicyContext } from '../policy/types.ts';
import { logInfo } from './logger.ts';
import type { ErrorReason, Metrics, Webhook } from './metrics.ts';
import { writeJson, type ReplyBatch } from './reply-batch.ts';
import type { ReviewStage } from './review-stage.ts';
import type { BodyBudget, BodyRateWatch, Refusal } from './body-budget.ts';
import type { TLSSocket } from 'node:tls';

/** An UPDATE carries two objects of up to ~3 MiB each, plus the review around them. */
export const MAX_BODY_BYTES = 7 * 1024 * 1024;

export interface AdmissionDeps {
  config: WebhookConfig;
  budget: BodyBudget;
  /** Drops bodies that arrive too slowly (server.minBodyBytesPerSecond). */
  rate: BodyRateWatch;
  /** When the server verifies client certificates: whether an unverified client is refused (else only counted). */
  clientAuth?: { require: boolean };
  cluster: ClusterView;
  logger: Logger;
  metrics: Metrics;
  /** Where reviews wait to be decided with the rest of their event-loop turn's (one per server, shared by both routes). */
  stage: ReviewStage;
  /** Where answers go to be written with the rest of their event-loop turn's (one per server, shared by both routes). */
  replies: ReplyBatch;
  /** The policy; replaceable so tests can make it throw. */
  decide?: typeof policyDecide;
  /** Told of every allowed review that is not a dry run: the cluster may have changed (the background audit). */
  onAllowed?: () => void;
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** A review of a Pod itself (not a subresource). */
function isPodReview(request: { resource?: { group?: string; resource?: string }; subResource?: string }): boolean {
  return request.resource?.resource === 'pods' && !request.resource.group && !request.subResource;
}

export function admissionRoute(webhook: Webhook, deps: AdmissionDeps): RequestHandler {
  const ctx: PolicyContext = { config: deps.config, cluster: deps.cluster };
  const decide = deps.decide ?? policyDecide;
  const refuse = (req: IncomingMessage, res: ServerResponse, error: HttpError, reason: ErrorReason) => {
    deps.metrics.error(webhook, reason);
    deps.logger.info({ webhook, status: error.status, reason: error.message }, 'refused a malformed admission request');
    // Past its address's share the client is likely the flood itself: close rather than read its body to the end.
    writeError(req, res, error, reason === 'peer_overloaded');
  };

  const answer = async (req: IncomingMessage, res: ServerResponse, body: string, started: number) => {
    const parsed = parseReview(body);
    if (!parsed.ok) return refuse(req, res, parsed.error, 'bad_request');
    const request = parsed.request;
    let response: AdmissionResponse;
    let findings: Finding[] = [];
    // A Pod is decided whole on /mutate (both halves, the validating one on the patched Pod), so it costs the API
    // server one call: for Pods the validating half only warns (the HA ServiceAccount's rights) or denies what it
    // cannot read, which a mutating webhook may answer as well; reinvocation (IfNeeded) judges again what a later
    // webhook changed (docs/latency.md). A policy error on it then fails closed, as validation did.
    const phase = webhook === 'mutate' && isPodReview(request) ? 'both' : webhook;
    try {
      const decision = await decide(toPolicyRequest(request), ctx, phase);
      findings = decision.findings;
      response = responseOf(request.uid, decision);
    } catch (err) {
      // A bug in the policy (or a Decision that does not serialise): answered, never a 5xx or a crash.
      deps.metrics.error(webhook, 'policy_error');
      deps.logger.error({ webhook, uid: request.uid, err }, 'the policy failed on this review');
      response = policyErrorResponse(request.uid, phase, deps.config.mutationFailurePolicy, err);
    }
    // What the metrics and the log line need, taken now: the queued answer then holds no part of the request,
    // whose objects can be collected young instead of surviving to the end of the turn.
    const { allowed } = response;
    const patched = response.patch !== undefined;
    const dryRun = request.dryRun === true;
    const line = deps.logger.isLevelEnabled('info') ? reviewLine(webhook, request, response, findings) : undefined;
    deps.replies.send({
      res,
      body: JSON.stringify(reviewOf(response)),
      written: () => {
        const seconds = (performance.now() - started) / 1000;
        deps.metrics.observeReview(webhook, seconds, allowed, patched, dryRun, findings);
        if (allowed && !dryRun) deps.onAllowed?.();
        if (line) {
          line.durationMs = Math.round(seconds * 1e6) / 1e3;
          logInfo(deps.logger, line, 'admission review');
        }
      },
    });
  };

  return (req, res) => {
    const started = performance.now();
    const socket = req.socket as TLSSocket;
    if (deps.clientAuth && !socket.authorized) {
      // Before the body is read: a client the API server's CA did not sign spends none of the budget.
      if (deps.clientAuth.require) {
        return refuse(req, res, new HttpError(403, `a client certificate signed by the webhook's client CA is required (${Object.keys(socket.getPeerCertificate()).length === 0 ? 'none was sent' : `it was not: ${String(socket.authorizationError)}`}); only the API server calls this path`), 'unauthenticated');
      }
      deps.metrics.error(webhook, 'unverified_client');
    }
    if (!isJson(req.headers['content-type'])) {
      return refuse(req, res, new HttpError(415, `content type is '${req.headers['content-type'] ?? '(none)'}'; send application/json`), 'unsupported_media_type');
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) return refuse(req, res, tooLarge(), 'too_large');
    const { budget } = deps;
    const early = budget.check(socket, declared);
    if (early) return refuse(req, res, overloaded(budget, early), early);
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    // What this request holds of the budget, given back once its answer is written (or the client went away).
    let held = 0;
    const release = () => {
      budget.give(socket, held);
      held = 0;
    };
    const arriving = {
      startedAt: started,
      received: () => size,
      drop: () => {
        if (done) return;
        done = true;
        chunks.length = 0;
        release();
        deps.metrics.error(webhook, 'too_slow');
        deps.logger.info({ webhook, received: size, declared }, 'dropped a request body arriving slower than server.minBodyBytesPerSecond');
        writeError(req, res, new HttpError(408, `the body arrived slower than ${deps.config.server.minBodyBytesPerSecond} bytes/s; dropped`));
        socket.destroySoon();
      },
    };
    res.on('close', () => {
      release();
      deps.rate.remove(arriving);
    });
    if (!req.complete) deps.rate.add(arriving);
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      let refusal: Refusal | undefined;
      if (size > MAX_BODY_BYTES) {
        done = true;
        chunks.length = 0;
        release();
        refuse(req, res, tooLarge(), 'too_large');
      } else if ((refusal = budget.take(socket, chunk.length)) !== undefined) {
        done = true;
        chunks.length = 0;
        release();
        refuse(req, res, overloaded(budget, refusal), refusal);
      } else {
        held += chunk.length;
        chunks.push(chunk);
      }
    });
    req.on('end', () => {
      deps.rate.remove(arriving);
      if (done) return;
      done = true;
      const body = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, size).toString('utf8');
      deps.stage.start(() => {
        answer(req, res, body, started).catch((err: unknown) => {
          deps.logger.error({ webhook, err }, 'unexpected failure answering a review');
          if (!res.headersSent) writeError(req, res, new HttpError(400, 'the review could not be answered'));
        });
      });
    });
    req.on('error', () => {
      // The client went away mid-body; there is no one to answer.
      deps.rate.remove(arriving);
      done = true;
      deps.metrics.error(webhook, 'aborted');
    });
  };
}

/** The review's log line, but for durationMs (added once the answer is written, as the line's last field). */
function reviewLine(webhook: Webhook, request: AdmissionRequest, response: AdmissionResponse, findings: Finding[]): Record<string, unknown> {
  const subject = subjectOf(request);
  return {
    webhook,
    uid: request.uid,
    kind: subject.kind,
    namespace: subject.namespace,
    name: subject.name,
    operation: request.operation,
    user: request.userInfo?.username,
    dryRun: request.dryRun === true,
    rules: findings.filter((f) => f.action !== 'passed').map((f) => `${f.rule}:${f.action}`),
    decision: !response.allowed ? 'denied' : response.patch !== undefined ? 'patched' : 'allowed',
  };
}

function isJson(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const semi = contentType.indexOf(';');
  return (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase() === 'application/json';
}

function overloaded(budget: BodyBudget, refusal: Refusal): HttpError {
  return refusal === 'overloaded'
    ? new HttpError(429, `the webhook holds ${Math.round(budget.limit / 1048576)} MiB of reviews already; retry shortly`)
    : new HttpError(429, `this client (its address, or this connection) holds its share of the webhook's review budget already (${Math.round(budget.perPeer / 1048576)} MiB per address, one review per connection); retry shortly`);
}

function tooLarge(): HttpError {
  return new HttpError(413, `the body is larger than ${MAX_BODY_BYTES} bytes (7 MiB), the most an admission review can carry`);
}

/**
 * Answers an error; when the body was not read to its end, the connection cannot be reused and is closed. A 429
 * instead reads the rest of the body and drops it (no memory held), so the client gets its answer rather than a
 * reset mid-upload, and can retry; unless `close` (a client past its own share, see body-budget.ts).
 */
export function writeError(req: IncomingMessage, res: ServerResponse, error: HttpError, close = false): void {
  if (res.headersSent) return;
  if (!req.complete && (error.status !== 429 || close)) res.setHeader('connection', 'close');
  writeJson(res, error.status, statusBody(error));
  req.resume();
}
