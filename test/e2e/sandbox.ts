// `npm run sandbox`: the e2e control plane plus the webhook, left running so that a person can kubectl apply
// Flink manifests and watch what the webhook does, with no cluster of their own. Ctrl-C tears everything down.
// `npm run sandbox -- --in-cluster`: a real node too, and the webhook installed on it from manifests/ as two Pods
// of the image built from the Containerfile, called through its Service.
import { join, relative } from 'node:path';
import { createFlinkNamespace, podBoundKubeconfig, REPO_ROOT, startControlPlane, startE2E } from './harness/index.ts';
import { buildWebhookImage } from './harness/image.ts';
import { installWebhookInCluster } from './harness/in-cluster.ts';
import { startNode } from './harness/node.ts';

const NAMESPACE = 'flink-demo';
const inCluster = process.argv.includes('--in-cluster');
const t0 = performance.now();

async function startInCluster() {
  console.error('sandbox: starting etcd, kube-apiserver, controllers, a node (kubelet + containerd) and the webhook Pods');
  const plane = await startControlPlane({ node: true });
  const node = await startNode(plane);
  try {
    const image = await buildWebhookImage();
    await installWebhookInCluster(plane, node, image);
  } catch (err) {
    await node.stop();
    await plane.stop();
    throw err;
  }
  return {
    plane,
    where: `two Pods of deployment/flink-ha-webhook in namespace flink-ha-webhook (kubectl -n flink-ha-webhook logs deploy/flink-ha-webhook)`,
    stop: async () => {
      await node.stop();
      await plane.stop();
    },
  };
}

async function startLocal() {
  console.error('sandbox: starting etcd, kube-apiserver and the webhook (the first run builds Kubernetes: minutes)');
  // As a production install should run: the API server presents a client certificate to the webhook (its
  // AdmissionConfiguration), and /mutate and /validate answer no one else.
  const e2e = await startE2E({ webhookClientAuth: true, webhook: { args: process.argv.slice(2) } });
  return {
    plane: e2e.plane,
    where: `${e2e.webhook.url}   log: ${e2e.webhook.process().logFile}\n              answers /mutate and /validate only to the API server's client certificate (CA ${e2e.plane.webhookClient?.caCert ?? '?'})`,
    stop: () => e2e.stop(),
  };
}

const e2e = inCluster ? await startInCluster() : await startLocal();
await createFlinkNamespace(e2e.plane, NAMESPACE);
// Flink's identity as a Flink pod has it: a token of the `flink` ServiceAccount bound to a Pod. With it, the sandbox
// writes the HA ConfigMaps a cluster `demo` would have (the webhook never sees an owner's writes).
const flinkKubeconfig = await podBoundKubeconfig(e2e.plane, NAMESPACE, 'flink', 'demo-jobmanager-0');
await e2e.plane.kubectlOk(['apply', '-n', NAMESPACE, '--server-side', '--field-manager=flink', '-f', join(REPO_ROOT, 'test', 'e2e', 'fixtures', 'ha-configmaps.yaml')], { kubeconfig: flinkKubeconfig });
const kubeconfig = e2e.plane.kubeconfigPath;
const kubectl = e2e.plane.binaries.kubectl;
const fixtures = relative(process.cwd(), join(REPO_ROOT, 'test', 'e2e', 'fixtures')) || '.';

console.log(`
flink-ha-webhook sandbox is running.
  API server: ${e2e.plane.server}  (Kubernetes, built from Go modules; controllers and scheduler${inCluster ? ', one real node' : ', no node: Pods stay Pending'})
  webhook:    ${e2e.where}
  started in ${((performance.now() - t0) / 1000).toFixed(1)} s
  namespace ${NAMESPACE} has the HA ServiceAccount 'flink', its ConfigMap Role, and the HA ConfigMaps of a
  cluster 'demo' written as Flink (a pod-bound token of 'flink': FLINK_KUBECONFIG below).

  export KUBECONFIG=${kubeconfig}
  export FLINK_KUBECONFIG=${flinkKubeconfig}
  alias kubectl=${kubectl}

Try:
  kubectl -n ${NAMESPACE} apply -f ${fixtures}/session-cluster.yaml
  kubectl -n ${NAMESPACE} get deployment -o yaml            # what the webhook added
  kubectl -n ${NAMESPACE} apply -f ${fixtures}/flinkdeployment.yaml --dry-run=server -o yaml
  kubectl -n ${NAMESPACE} delete configmap demo-cluster-config-map     # denied: HA state
  kubectl -n ${NAMESPACE} delete configmap demo-cluster-config-map --as=system:serviceaccount:${NAMESPACE}:flink   # denied: impersonation proves nothing
  kubectl -n ${NAMESPACE} patch configmap demo-cluster-config-map --type=merge -p '{"data":{"checkpointID-0000000000000000099":"forged"}}'   # denied
  kubectl -n ${NAMESPACE} get namespace ${NAMESPACE} --show-labels     # flink-ha.io/ha-state=true: its deletion is guarded
  kubectl --kubeconfig $FLINK_KUBECONFIG -n ${NAMESPACE} delete configmap demo-cluster-config-map   # allowed: Flink's own cleanup

Ctrl-C stops everything.
`);

let stopping = false;
const shutdown = () => {
  if (stopping) process.exit(130); // a second Ctrl-C: the exit hook kills everything at once
  stopping = true;
  console.error('sandbox: stopping');
  void e2e.stop().then(() => process.exit(0));
};
process.removeAllListeners('SIGINT');
process.removeAllListeners('SIGTERM');
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
