// kube-controller-manager and kube-scheduler beside the e2e API server: the garbage collector, the namespace
// controller, the ServiceAccount and root-CA publishers, ReplicaSets that make Pods; the actors the guards exist for.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Binaries } from './binaries.ts';
import { clientCertKubeconfig, type Pki } from './pki.ts';
import { spawnManaged, waitFor, writePrivate, type Managed } from './processes.ts';

// At --v=2 the scheduler logs each informer it has filled; the Pod and Node ones are what it schedules from.
const SCHEDULER_READY = ['"Caches populated" type="*v1.Pod"', '"Caches populated" type="*v1.Node"'];

export interface Controllers {
  controllerManager: Managed;
  scheduler: Managed;
}

/**
 * Starts both against `server` (already ready) and returns at once; `started` receives each process as it is
 * spawned, so the caller's teardown stops them even if the other fails to start.
 */
export function startControllers(
  { binaries, dir, pki, server }: { binaries: Binaries; dir: string; pki: Pki; server: string },
  started: Managed[],
): Controllers {
  const cmKubeconfig = join(dir, 'kubeconfig-controller-manager');
  writePrivate(cmKubeconfig, clientCertKubeconfig(pki, server, 'system:kube-controller-manager', pki.controllerManagerCert, pki.controllerManagerKey));
  const controllerManager = spawnManaged(
    'kube-controller-manager',
    binaries.kubeControllerManager,
    [
      `--kubeconfig=${cmKubeconfig}`,
      // Each controller as its own ServiceAccount (kube-system:generic-garbage-collector, ...:namespace-controller,
      // ...:replicaset-controller): the identities the webhook sees in a real cluster.
      '--use-service-account-credentials',
      `--service-account-private-key-file=${pki.saKey}`,
      `--root-ca-file=${pki.caCert}`,
      `--cluster-signing-cert-file=${pki.caCert}`,
      `--cluster-signing-key-file=${pki.caKey}`,
      '--controllers=*',
      // Each controller's client first gets its ServiceAccount and a token: at the default 20 requests/s that
      // client-side throttle alone holds start-up for seconds.
      '--kube-api-qps=500',
      '--kube-api-burst=1000',
      '--leader-elect=false',
      // No serving port: nothing scrapes it, and a port is one more thing to collide on.
      '--secure-port=0',
      '--profiling=false',
      '--v=1',
    ],
    { dir },
  );
  started.push(controllerManager);

  const schedulerKubeconfig = join(dir, 'kubeconfig-scheduler');
  writePrivate(schedulerKubeconfig, clientCertKubeconfig(pki, server, 'system:kube-scheduler', pki.schedulerCert, pki.schedulerKey));
  const scheduler = spawnManaged(
    'kube-scheduler',
    binaries.kubeScheduler,
    [`--kubeconfig=${schedulerKubeconfig}`, '--leader-elect=false', '--secure-port=0', '--profiling=false', '--v=2'],
    { dir },
  );
  started.push(scheduler);
  return { controllerManager, scheduler };
}

/**
 * Ready when each has done its first work: the ServiceAccount controller made `default` in the `default`
 * namespace (its informers are synced, and so the other controllers' are about to be), and the scheduler has
 * listed Pods and Nodes (its log says so: with no serving port and no leader election it has nothing else to show).
 */
export async function waitForControllers(controllers: Controllers, get: (path: string) => Promise<string>): Promise<void> {
  await Promise.all([
    waitFor('kube-controller-manager to make the default ServiceAccount', async () => {
      await get('/api/v1/namespaces/default/serviceaccounts/default');
      return true;
    }, { alive: controllers.controllerManager, timeoutMs: 60_000 }),
    waitFor('kube-scheduler to fill its informers', async () => {
      const log = await readFile(controllers.scheduler.logFile, 'utf8');
      return SCHEDULER_READY.every((line) => log.includes(line)) ? true : undefined;
    }, { alive: controllers.scheduler, timeoutMs: 60_000 }),
  ]);
}
