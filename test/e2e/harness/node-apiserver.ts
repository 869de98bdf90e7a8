// What the control plane does differently when a real node will join it (ControlPlaneOptions.node): the API
// server flags a kubelet needs, and the blackhole route that keeps the service CIDR from ever leaving the machine.
import { execFileSync } from 'node:child_process';
import type { Pki } from './pki.ts';
import { addCleanupScript } from './processes.ts';

/** --service-cluster-ip-range of the e2e API server; 10.0.0.1 is the `kubernetes` Service. */
export const SERVICE_CIDR = '10.0.0.0/24';

/** --authorization-mode: with a node, the Node authorizer lets a kubelet (system:node:<name>) read only what its
 * own Pods use. (A list flag: repeating it would append, and the API server refuses a mode given twice.) */
export function authorizationModes(node: boolean): string {
  return node ? 'Node,RBAC' : 'RBAC';
}

/** Extra kube-apiserver flags for a cluster with a kubelet. */
export function apiServerNodeFlags(pki: Pki): string[] {
  return [
    // Appended to the admission list given before it: a kubelet may write only its own Node and Pods.
    '--enable-admission-plugins=NodeRestriction',
    // logs, exec, port-forward: the API server calls the kubelet as a system:masters client and checks its
    // serving cert against the e2e CA, at the node's InternalIP (the bridge address, never a hostname to resolve).
    `--kubelet-client-certificate=${pki.adminCert}`,
    `--kubelet-client-key=${pki.adminKey}`,
    `--kubelet-certificate-authority=${pki.caCert}`,
    '--kubelet-preferred-address-types=InternalIP',
    // A webhook (or aggregated API) behind a Service is called at its endpoint's Pod IP, not at the ClusterIP:
    // there is no kube-proxy, and a ClusterIP dialled from the host would leave the machine by the default route.
    '--enable-aggregator-routing=true',
  ];
}

/**
 * `ip route replace blackhole <service CIDR>` before anything starts, so that nothing on the host can reach a
 * ClusterIP through the default route; removed with `dir` (by stop, the exit hook or the watchdog).
 */
export function blackholeServiceCidr(dir: string): void {
  addCleanupScript(dir, 'service-route', `ip route del blackhole ${SERVICE_CIDR} 2>/dev/null || true\n`);
  try {
    execFileSync('ip', ['route', 'replace', 'blackhole', SERVICE_CIDR], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    throw new Error(`could not add the blackhole route for ${SERVICE_CIDR} (a real node needs root): ${String(err)}`, { cause: err });
  }
}
