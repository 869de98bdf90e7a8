// `npm run sandbox`: the e2e control plane plus the webhook, left running so that a person can kubectl apply
// Flink manifests and watch what the webhook does, with no cluster of their own. Ctrl-C tears everything down.
// `npm run sandbox -- --in-cluster`: a real node too, and the webhook installed on it from manifests/ as two Pods
// of the image built from the Containerfile, called through its Service. Both run the same config.
import { join, relative } from 'node:path';
import { REPO_ROOT } from './harness/index.ts';
import { SANDBOX_NAMESPACE as NAMESPACE, startSandbox } from './harness/sandbox.ts';

const inCluster = process.argv.includes('--in-cluster');
const t0 = performance.now();
const sandbox = await startSandbox({ inCluster, args: process.argv.slice(2).filter((a) => a !== '--in-cluster') });
const plane = sandbox.plane;
const fixtures = relative(process.cwd(), join(REPO_ROOT, 'test', 'e2e', 'fixtures')) || '.';

console.log(`
flink-ha-webhook sandbox is running.
  API server: ${plane.server}  (Kubernetes, built from Go modules; controllers and scheduler${inCluster ? ', one real node' : ', no node: Pods stay Pending'})
  webhook:    ${sandbox.where}
  config:     ${relative(process.cwd(), join(REPO_ROOT, 'test', 'e2e', 'fixtures', 'webhook-config.yaml'))} (mode enforce, storageDirTemplate s3://flink-ha/{namespace}/{clusterId}),
              also in ConfigMap flink-ha-webhook/flink-ha-webhook-config, where \`audit --cluster\` reads it
  started in ${((performance.now() - t0) / 1000).toFixed(1)} s
  namespace ${NAMESPACE} has the HA ServiceAccount 'flink', its ConfigMap Role, and the HA ConfigMaps of a
  cluster 'demo' written as Flink (a pod-bound token of 'flink': FLINK_KUBECONFIG below).

  export KUBECONFIG=${plane.kubeconfigPath}
  export FLINK_KUBECONFIG=${sandbox.flinkKubeconfig}
  alias kubectl=${plane.binaries.kubectl}

Try (the README's walkthrough):
  kubectl -n ${NAMESPACE} apply -f ${fixtures}/session-cluster.yaml
  kubectl -n ${NAMESPACE} get deployment -o yaml            # what the webhook added
  kubectl -n ${NAMESPACE} delete configmap demo-cluster-config-map     # denied: HA state
  kubectl -n ${NAMESPACE} delete configmap demo-cluster-config-map --as=system:serviceaccount:${NAMESPACE}:flink   # denied: impersonation proves nothing
  kubectl -n ${NAMESPACE} patch configmap demo-cluster-config-map --type=merge -p '{"data":{"checkpointID-0000000000000000099":"forged"}}'   # denied
  node bin/flink-ha-webhook.mjs audit --cluster -n ${NAMESPACE}      # the same verdicts, from the installed config
  kubectl --kubeconfig $FLINK_KUBECONFIG -n ${NAMESPACE} delete configmap demo-cluster-config-map   # allowed: Flink's own cleanup

${sandbox.helmInstead ? `To run it as a Helm release instead (README "Helm in the --in-cluster sandbox"):\n  ${sandbox.helmInstead.join('\n  ')}\n` : ''}
Ctrl-C stops everything.
`);

let stopping = false;
const shutdown = () => {
  if (stopping) process.exit(130); // a second Ctrl-C: the exit hook kills everything at once
  stopping = true;
  console.error('sandbox: stopping');
  void sandbox.stop().then(() => process.exit(0));
};
process.removeAllListeners('SIGINT');
process.removeAllListeners('SIGTERM');
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
