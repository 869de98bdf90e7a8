// The e2e harness: a real kube-apiserver (built from Go modules, cached) calling the real webhook over TLS.
// Used by test/e2e/*.test.ts and by `npm run sandbox`.
//
// API
//   startControlPlane(opts?)        etcd + kube-apiserver on free loopback ports, own PKI, admin kubeconfig,
//                                   RBAC, ServiceAccount admission, kube-controller-manager (every controller as
//                                   its own ServiceAccount) and kube-scheduler, FlinkDeployment/FlinkSessionJob
//                                   CRDs. No node: Pods stay Pending. Builds the binaries first if the cache
//                                   lacks them (see build-control-plane.sh).
//     .kubeconfigPath, .server      for any client; .kubeConfig is the admin's client-node KubeConfig
//     .kubectl(args, {as, input})   the real kubectl (same Kubernetes version); {code, stdout, stderr}, no throw
//     .kubectlOk(args, opts)        the same, throws on a non-zero exit; returns stdout
//     .get(path)                    GET as admin (e.g. '/metrics')
//     .stop()                       kills the scheduler, controller-manager, apiserver and etcd (whole process
//                                   groups), removes the temp dir
//   startWebhook(plane, {configFile?, args?})  (configFile defaults to test/e2e/fixtures/webhook-config.yaml)
//                                   `node bin/flink-ha-webhook.mjs serve` on 127.0.0.1:<free port>, dev certs in
//                                   <plane.dir>/webhook-certs; waits for /readyz. .stop() / .start() (same port
//                                   and CA), .caPem(), .log()
//   registerWebhooks(plane, webhook) the configurations of manifests/ with only clientConfig swapped
//                                   (url + caBundle); returns once the API server calls the webhook
//     {node: true}                  ready for a real node: Node,RBAC authorization, NodeRestriction, kubelet
//                                   client/CA flags, --enable-aggregator-routing, blackhole route for 10.0.0.0/24
//     {webhookClientAuth: true}     kube-apiserver presents a client certificate to every webhook (an
//                                   AdmissionConfiguration, pki.ts) from a CA of its own: .webhookClient {caCert,
//                                   cert, key}; startWebhook then passes caCert as tls.clientCaFile (clientAuth:
//                                   false in its options to leave it out)
//   startNode(plane, {name?})       (node.ts; root) containerd + kubelet + runc + CNI bridge flinkha0 10.88.0.1/24,
//                                   waits for Node Ready. Node {name, ip, importImage(ociArchive), stop()}.
//                                   Pods: spec.nodeName (no scheduler here) and imagePullPolicy Never/IfNotPresent
//                                   with an imported image; they reach the API server at 10.0.0.1:443; every pull
//                                   fails at once (dead proxy). stop() deletes Pods, then removes everything
//   localImages()                   the pause and busybox OCI archives (test/e2e/node/build-images.sh, cached)
//   startCertManager(plane)         (cert-manager.ts) cert-manager v1.21.2's CRDs, controller and cainjector
//                                   (build-cert-manager.sh, cached) as host processes with the admin
//                                   kubeconfig, leader election off, only the SelfSigned/CA issuer controllers,
//                                   loopback ports only; no cert-manager webhook. .controller, .cainjector, .stop()
//   startE2E(opts?)                 all three; .stop() tears everything down
//   serviceAccount(ns, name)        'system:serviceaccount:<ns>:<name>', for kubectl's `as`
//   createFlinkNamespace(plane, ns) a namespace with the `flink` ServiceAccount and flink's HA ConfigMap Role
//                                   (also bound to the operator's `flink-operator`); returns once the
//                                   controller-manager has made its `default` ServiceAccount
//   buildWebhookImage()             the top-level Containerfile built by buildah, offline, on local bases;
//                                   {ref, archive, sizeBytes}: an OCI archive `ctr images import` names ref.
//                                   Cached by content (first build ~1 min, then instant)
//
// Teardown: every child runs in its own process group and is killed with it by stop(), by an exit/signal hook
// when the test process ends, and by a watchdog shell when the test process is killed outright. What a node
// leaves outside its temp dir is undone by test/e2e/node/teardown.sh on all three paths, and at the next start.
import { startControlPlane, type ControlPlane, type ControlPlaneOptions } from './control-plane.ts';
import { waitFor } from './processes.ts';
import { registerWebhooks, startWebhook, type Webhook, type WebhookOptions } from './webhook.ts';

export { startControlPlane, freePort, sharedDir, REPO_ROOT } from './control-plane.ts';
export type { ControlPlane, KubectlOptions, KubectlResult } from './control-plane.ts';
export {
  E2E_CONFIG_FILE,
  PROBE_NAMESPACE,
  startWebhook,
  registerWebhooks,
  unregisterWebhooks,
  manifestWebhookConfigurations,
  localWebhookConfigurations,
  webhookCallCounts,
  webhookAttempts,
} from './webhook.ts';
export type { Webhook, WebhookOptions } from './webhook.ts';
export { ensureBinaries } from './binaries.ts';
export { startNode, localImages, NODE_IP, NODE_BRIDGE, KUBERNETES_SERVICE_IP } from './node.ts';
export type { Node, NodeOptions, NodeInternals, LocalImages } from './node.ts';
export { buildWebhookImage } from './image.ts';
export { startCertManager, ensureCertManagerBinaries, CERT_MANAGER_CONTROLLERS } from './cert-manager.ts';
export type { CertManager, CertManagerBinaries } from './cert-manager.ts';
export type { WebhookImage } from './image.ts';
export { podBoundKubeconfig, mintedKubeconfig, operatorKubeconfig, tokenKubeconfig } from './identities.ts';

export interface E2E {
  plane: ControlPlane;
  webhook: Webhook;
  stop(): Promise<void>;
}

export async function startE2E(options: ControlPlaneOptions & { webhook?: WebhookOptions } = {}): Promise<E2E> {
  const plane = await startControlPlane(options);
  try {
    const webhook = await startWebhook(plane, options.webhook);
    await registerWebhooks(plane, webhook);
    return {
      plane,
      webhook,
      stop: async () => {
        await webhook.stop();
        await plane.stop();
      },
    };
  } catch (err) {
    await plane.stop();
    throw err;
  }
}

export function serviceAccount(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

/**
 * A namespace as a Flink cluster needs it: the HA ServiceAccount `flink` and a Role letting it do what Flink's HA
 * services do with ConfigMaps. The operator's ServiceAccount (`flink-operator` in `operatorNamespace`) gets the
 * same Role here. Returns once the controller-manager has made the namespace's `default` ServiceAccount: until
 * then the ServiceAccount admission plugin rejects every Pod that names none, before any webhook sees it.
 */
export async function createFlinkNamespace(
  plane: ControlPlane,
  namespace: string,
  { operatorNamespace = 'flink-operator-system', labels = {} }: { operatorNamespace?: string; labels?: Record<string, string> } = {},
): Promise<void> {
  const objects = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'flink', namespace } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'flink-ha', namespace },
      rules: [
        {
          apiGroups: [''],
          resources: ['configmaps'],
          verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'],
        },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'flink-ha', namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'flink-ha' },
      subjects: [
        { kind: 'ServiceAccount', name: 'flink', namespace },
        { kind: 'ServiceAccount', name: 'flink-operator', namespace: operatorNamespace },
      ],
    },
  ];
  await plane.kubectlOk(['apply', '--server-side', '--field-manager=flink-ha-e2e', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
  });
  await waitFor(`the default ServiceAccount of namespace ${namespace}`, async () => {
    await plane.get(`/api/v1/namespaces/${namespace}/serviceaccounts/default`);
    return true;
  }, { alive: plane.controllerManager, timeoutMs: 30_000 });
}
