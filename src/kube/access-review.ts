// SubjectAccessReviews of Flink ServiceAccounts' ConfigMap rights, the bulk of a live audit's requests (6 per
// ServiceAccount), over one kept-alive connection. The questions themselves are in ./configmap-rights.ts.
import { AuthorizationV1Api, type KubeConfig, type V1SubjectAccessReview } from '@kubernetes/client-node';
import { jsonClient } from './json-client.ts';

/** Asks one SubjectAccessReview; throws like client-node (an error with a numeric `code`) on a non-2xx answer. */
export type Reviewer = { review: (body: object) => Promise<{ status?: { allowed?: boolean } }>; close: () => void };

/**
 * SubjectAccessReviews are most of an audit's requests (6 per ServiceAccount): plain JSON POSTs over the kept-alive
 * JSON client (./json-client.ts). A cluster behind a proxy keeps client-node's own client.
 */
export function subjectAccessReviewer(kc: KubeConfig, client = jsonClient(kc)): Reviewer {
  if (!client) {
    const api = kc.makeApiClient(AuthorizationV1Api);
    return { review: (body) => api.createSubjectAccessReview({ body: body as V1SubjectAccessReview }), close: () => undefined };
  }
  return {
    review: async (body) => (await client.post('/apis/authorization.k8s.io/v1/subjectaccessreviews', body)) as { status?: { allowed?: boolean } },
    close: () => client.close(),
  };
}
