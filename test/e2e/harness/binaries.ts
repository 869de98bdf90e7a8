// etcd and Kubernetes' own binaries for the e2e tests: built from the Go modules in test/e2e/k8s and
// test/e2e/etcd by build-control-plane.sh, once per version, into a cache outside the repo. A fresh machine
// builds them here (several minutes, progress on stderr); every later run finds them at once.
import { join } from 'node:path';
import { runBuildScript } from './build-script.ts';

export interface Binaries {
  dir: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  /** Built for a real node; no control plane runs it by itself. */
  kubelet: string;
  kubectl: string;
  etcd: string;
}

const script = join(import.meta.dirname, '..', 'build-control-plane.sh');
let cached: Promise<Binaries> | undefined;

/** Builds the binaries if they are missing (never skips: the e2e tests need them). */
export function ensureBinaries(): Promise<Binaries> {
  cached ??= runBuildScript(script, [], 'the control-plane binaries').then((dir) => ({
    dir,
    kubeApiserver: join(dir, 'kube-apiserver'),
    kubeControllerManager: join(dir, 'kube-controller-manager'),
    kubeScheduler: join(dir, 'kube-scheduler'),
    kubelet: join(dir, 'kubelet'),
    kubectl: join(dir, 'kubectl'),
    etcd: join(dir, 'etcd'),
  }));
  return cached;
}
