// Who a test acts as. A real Flink or operator pod talks to the API server with its ServiceAccount's projected
// token, bound to the Pod (the API server then adds userInfo.extra["authentication.kubernetes.io/pod-name"]);
// impersonation (`--as`) and `kubectl create token` without a pod are what an attacker with `edit` can do.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ControlPlane } from './control-plane.ts';

/** A kubeconfig that authenticates with only this bearer token (no admin client certificate). */
export function tokenKubeconfig(plane: ControlPlane, name: string, token: string): string {
  const path = join(plane.dir, `kubeconfig-${name}`);
  writeFileSync(path, JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'e2e', cluster: { server: plane.server, 'certificate-authority': plane.pki.caCert } }],
    users: [{ name, user: { token } }],
    contexts: [{ name, context: { cluster: 'e2e', user: name } }],
    'current-context': name,
  }), { mode: 0o600 });
  return path;
}

/**
 * A kubeconfig with a token of ServiceAccount `namespace/serviceAccount` bound to a Pod of that ServiceAccount,
 * as the pod's own token is. The Pod object is created (it stays Pending: no node is needed for the binding).
 */
export async function podBoundKubeconfig(plane: ControlPlane, namespace: string, serviceAccount: string, pod = `${serviceAccount}-pod`): Promise<string> {
  const exists = await plane.kubectl(['get', 'pod', pod, '-n', namespace]);
  if (exists.code !== 0) {
    await plane.kubectlOk(['create', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1', kind: 'Pod', metadata: { name: pod, namespace },
        spec: { serviceAccountName: serviceAccount, containers: [{ name: 'c', image: 'registry.invalid/pause:1' }] },
      }),
    });
  }
  const token = (await plane.kubectlOk(['create', 'token', serviceAccount, '-n', namespace, '--bound-object-kind', 'Pod', '--bound-object-name', pod, '--duration', '1h'])).trim();
  return tokenKubeconfig(plane, `${namespace}-${serviceAccount}-${pod}`, token);
}

/** A kubeconfig with a token minted for the ServiceAccount with no pod behind it (`kubectl create token SA`). */
export async function mintedKubeconfig(plane: ControlPlane, namespace: string, serviceAccount: string): Promise<string> {
  const token = (await plane.kubectlOk(['create', 'token', serviceAccount, '-n', namespace, '--duration', '1h'])).trim();
  return tokenKubeconfig(plane, `${namespace}-${serviceAccount}-minted`, token);
}

/** The operator's ServiceAccount (`flink-operator-system/flink-operator`, created if missing) with a pod-bound token. */
export async function operatorKubeconfig(plane: ControlPlane, namespace = 'flink-operator-system', name = 'flink-operator'): Promise<string> {
  await plane.kubectlOk(['apply', '--server-side', '--field-manager=flink-ha-e2e', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } },
    ] }),
  });
  return podBoundKubeconfig(plane, namespace, name);
}
