// The one error a cluster read ends with when the cluster could not be asked at all (exit code 3 in `audit`).
// Its own module so the CLI can recognise it without loading the Kubernetes client.

export class ClusterError extends Error {
  constructor(
    readonly kind: 'config' | 'unreachable' | 'timeout' | 'unauthorized',
    message: string,
  ) {
    super(message);
  }
}
