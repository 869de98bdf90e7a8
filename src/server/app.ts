// The express app for everything but the hot path: health, readiness, metrics, and clear 404/405 answers.
// The admission routes are dispatched before express (server.ts); express stays for the rest.
import express, { type NextFunction, type Request, type Response } from 'express';
import { HttpError, statusBody } from '../admission/errors.ts';
import type { Metrics } from './metrics.ts';

export interface AppDeps {
  metrics: Metrics;
  /** Why the server is not ready, or undefined when it is. */
  notReadyReason: () => string | undefined;
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok');
  });
  app.get('/readyz', (_req, res) => {
    const reason = deps.notReadyReason();
    res.status(reason === undefined ? 200 : 503).type('text/plain').send(reason ?? 'ok');
  });
  app.get('/metrics', (_req, res, next) => {
    deps.metrics.registry
      .metrics()
      .then((text) => res.type(deps.metrics.registry.contentType).send(text))
      .catch(next);
  });
  app.all(['/mutate', '/validate'], (req, res) => {
    sendError(res, new HttpError(405, `${req.method} is not allowed on ${req.path}; the API server POSTs AdmissionReviews here`), { allow: 'POST' });
  });
  app.use((req, res) => {
    sendError(res, new HttpError(404, `no such path: ${req.path}; the webhook serves POST /mutate, POST /validate, GET /healthz, /readyz, /metrics`));
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    sendError(res, new HttpError(500, `internal error: ${err instanceof Error ? err.message : String(err)}`));
  });
  return app;
}

function sendError(res: Response, error: HttpError, headers: Record<string, string> = {}): void {
  res.status(error.status).set(headers).type('application/json').send(statusBody(error));
}
