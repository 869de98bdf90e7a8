// etcd and Kubernetes' own binaries for the e2e tests: built from the Go modules in test/e2e/k8s and
// test/e2e/etcd by build-control-plane.sh, once per version, into a cache outside the repo. A fresh machine
// builds them here (several minutes, progress on stderr); every later run finds them at once.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

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
  cached ??= new Promise<Binaries>((resolve, reject) => {
    // stderr (progress) goes straight to ours; stdout is the cache directory.
    const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const dir = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || dir === '') {
        reject(new Error(`${script} failed (exit ${code}): the control-plane binaries could not be built`));
        return;
      }
      resolve({
        dir,
        kubeApiserver: join(dir, 'kube-apiserver'),
        kubeControllerManager: join(dir, 'kube-controller-manager'),
        kubeScheduler: join(dir, 'kube-scheduler'),
        kubelet: join(dir, 'kubelet'),
        kubectl: join(dir, 'kubectl'),
        etcd: join(dir, 'etcd'),
      });
    });
  });
  return cached;
}
