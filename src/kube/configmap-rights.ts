// What Flink HA needs a ServiceAccount to be allowed, as SubjectAccessReviews: one per ConfigMap verb (a review
// asks about one verb). Shared by the webhook's ClusterView and the live audit so both ask the same question.
import type { V1SubjectAccessReview } from '@kubernetes/client-node';

import { HA_CONFIGMAP_VERBS } from '../flink/ha-rbac.ts';

export { HA_CONFIGMAP_VERBS };

export function configMapRightsReviews(namespace: string, serviceAccount: string): V1SubjectAccessReview[] {
  return HA_CONFIGMAP_VERBS.map((verb) => ({
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec: {
      user: `system:serviceaccount:${namespace}:${serviceAccount}`,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
      resourceAttributes: { namespace, verb, resource: 'configmaps' },
    },
  }));
}
