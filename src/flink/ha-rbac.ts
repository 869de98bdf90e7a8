// The one answer to "what may Flink's ServiceAccount do?": the ConfigMap verbs Flink's Kubernetes HA uses (Flink's
// own RBAC example: get, list, watch, create, update, delete; no patch, fabric8 replaces ConfigMaps). The webhook's
// SubjectAccessReviews, the audit, every fix text and `flink-ha-webhook onboard` read them from here.
export const HA_CONFIGMAP_VERBS = ['get', 'list', 'watch', 'create', 'update', 'delete'] as const;

/** The Role (and binding) of a namespace's HA ServiceAccount, in the words every fix uses. */
export function onboardFix(namespace: string, serviceAccount: string): string {
  return `flink-ha-webhook onboard -n ${namespace} --service-account ${serviceAccount} | kubectl apply -f - (ServiceAccount ${serviceAccount}, a Role granting ${HA_CONFIGMAP_VERBS.join(', ')} on configmaps, and its RoleBinding)`;
}

/** ServiceAccount, Role and RoleBinding that let `serviceAccount` run Flink with Kubernetes HA in `namespace`. */
export function onboardingObjects(namespace: string, serviceAccount: string): Array<Record<string, unknown>> {
  const name = `${serviceAccount}-ha`;
  const labels = { 'app.kubernetes.io/managed-by': 'flink-ha-webhook-onboard' };
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: serviceAccount, namespace, labels } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name, namespace, labels },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: [...HA_CONFIGMAP_VERBS] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name, namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name: serviceAccount, namespace }],
    },
  ];
}
