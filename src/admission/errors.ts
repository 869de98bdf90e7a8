// The one typed error of the HTTP edge: a status and a message a client can act on. Bad input becomes one of
// these (a value, never a crash); the server writes it as a meta/v1 Status body with the same code.
export class HttpError extends Error {
  readonly status: number;

  constructor(status: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HttpError';
    this.status = status;
  }
}

/** The body of an error answer: a meta/v1 Status, which kubectl and client-go print readably. */
export function statusBody(error: HttpError): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'Status', status: 'Failure', code: error.status, message: error.message });
}
