// The sandbox (`npm run sandbox`, `-- --in-cluster`) as a function, so that the README's walkthrough test starts
// exactly what a user starts. Both modes run one config (test/e2e/fixtures/webhook-config.yaml) and publish it as
// an install does, in the ConfigMap flink-ha-webhook/flink-ha-webhook-config, where a live audit finds it.
import { join } from 'node:path';
import { createFlinkNamespace, podBoundKubeconfig, REPO_ROOT, startControlPlane, startE2E, type ControlPlane } from './index.ts';
import { buildWebhookImage } from './image.ts';
import { ensureHelm } from './helm-binary.ts';
import { installWebhookInCluster } from './in-cluster.ts';
import { startNode } from './node.ts';
import { webhookConfigMap } from './webhook.ts';

export const SANDBOX_NAMESPACE = 'flink-demo';

export interface Sandbox {
  plane: ControlPlane;
  /** Where the webhook runs, for people. */
  where: string;
  /** The image the --in-cluster sandbox built and loaded into the node (undefined: the plain sandbox runs dist/). */
  image?: string;
  /** --in-cluster: the commands that swap the sandbox's kustomize install for a Helm release of the same image. */
  helmInstead?: string[];
  /** A pod-bound token of the `flink` ServiceAccount in SANDBOX_NAMESPACE: Flink's own identity. */
  flinkKubeconfig: string;
  stop(): Promise<void>;
}

async function startInCluster(log: (line: string) => void) {
  log('sandbox: starting etcd, kube-apiserver, controllers, a node (kubelet + containerd) and the webhook Pods');
  const plane = await startControlPlane({ node: true });
  const node = await startNode(plane);
  try {
    const image = await buildWebhookImage();
    log(`sandbox: built the image ${image.ref} from the Containerfile (${(image.sizeBytes / 1e6).toFixed(1)} MB) and loaded it into the node's containerd`);
    const installed = await installWebhookInCluster(plane, node, image);
    const at = image.ref.lastIndexOf(':');
    return {
      plane,
      image: image.ref,
      // Helm cannot adopt what `kubectl apply -k` made: the README's "Helm in the --in-cluster sandbox", filled in.
      helmInstead: [
        `alias helm=${await ensureHelm()}`,
        `kubectl delete -k ${installed.overlayDir} --wait`,
        `helm install flink-ha-webhook charts/flink-ha-webhook -n flink-ha-webhook --create-namespace --set tls.mode=helm \\`,
        `  --set image.repository=${image.ref.slice(0, at)} --set image.tag=${image.ref.slice(at + 1)} --set image.pullPolicy=Never \\`,
        `  --set-string 'config.storageDirTemplate=s3://flink-ha/{namespace}/{clusterId}' --set config.mode=enforce --wait`,
      ],
      where: `two Pods of deployment/flink-ha-webhook in namespace flink-ha-webhook, image ${image.ref} (kubectl -n flink-ha-webhook logs deploy/flink-ha-webhook)`,
      stop: async () => {
        await node.stop();
        await plane.stop();
      },
    };
  } catch (err) {
    await node.stop();
    await plane.stop();
    throw err;
  }
}

async function startLocal(log: (line: string) => void, args: string[]) {
  log('sandbox: starting etcd, kube-apiserver and the webhook (the first run builds Kubernetes: minutes)');
  // As a production install should run: the API server presents a client certificate to the webhook (its
  // AdmissionConfiguration), and /mutate and /validate answer no one else.
  const e2e = await startE2E({ webhookClientAuth: true, webhook: { args } });
  try {
    await e2e.plane.kubectlOk(['apply', '-f', '-'], { input: JSON.stringify(webhookConfigMap()) });
  } catch (err) {
    await e2e.stop();
    throw err;
  }
  return {
    plane: e2e.plane,
    image: undefined,
    helmInstead: undefined,
    where: `${e2e.webhook.url} (compiled dist/, no image)   log: ${e2e.webhook.process().logFile}\n              answers /mutate and /validate only to the API server's client certificate (CA ${e2e.plane.webhookClient?.caCert ?? '?'})`,
    stop: () => e2e.stop(),
  };
}

/** Starts the sandbox: the webhook, the namespace flink-demo (ServiceAccount flink, its Role) and cluster demo's HA state. */
export async function startSandbox(options: { inCluster: boolean; args?: string[]; log?: (line: string) => void }): Promise<Sandbox> {
  const log = options.log ?? ((line: string) => console.error(line));
  const started = options.inCluster ? await startInCluster(log) : await startLocal(log, options.args ?? []);
  try {
    await createFlinkNamespace(started.plane, SANDBOX_NAMESPACE);
    // Flink's identity as a Flink pod has it: a token of the `flink` ServiceAccount bound to a Pod. With it, the
    // sandbox writes the HA ConfigMaps a cluster `demo` would have (the webhook never sees an owner's writes).
    const flinkKubeconfig = await podBoundKubeconfig(started.plane, SANDBOX_NAMESPACE, 'flink', 'demo-jobmanager-0');
    await started.plane.kubectlOk(['apply', '-n', SANDBOX_NAMESPACE, '--server-side', '--field-manager=flink', '-f', join(REPO_ROOT, 'test', 'e2e', 'fixtures', 'ha-configmaps.yaml')], { kubeconfig: flinkKubeconfig });
    return { ...started, flinkKubeconfig };
  } catch (err) {
    await started.stop();
    throw err;
  }
}
