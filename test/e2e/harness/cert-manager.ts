// cert-manager v1.21.2 beside the e2e API server: its CRDs, and its controller and cainjector as host processes
// (built from Go modules by build-cert-manager.sh, cached), so manifests/cert-manager/ meets a real cert-manager.
//
// - Credentials: the plane's admin kubeconfig (system:masters). cert-manager's ClusterRoles are not part of
//   what is shown here (the Helm chart's RBAC is cert-manager's own business), and the admin is simplest.
// - Leader election off: one replica of each, like the plane's controller-manager.
// - cert-manager's own webhook is not run: it only validates and defaults cert-manager's resources (and converts
//   none; v1 is the only served version), which the API server's CRD schemas validate well enough here. The
//   cainjector needs none of it.
// - Loopback only: metrics and healthz listen on 127.0.0.1, and only the controllers the SelfSigned and CA
//   issuers need run (no ACME orders/challenges, Vault, Venafi, ingress or Gateway shims), so nothing dials out.
import { readdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { runBuildScript } from './build-script.ts';
import { freePort, type ControlPlane } from './control-plane.ts';
import { childEnv, spawnManaged, waitFor, type Managed } from './processes.ts';

export interface CertManagerBinaries {
  dir: string;
  controller: string;
  cainjector: string;
  /** cert-manager's CRD files (deploy/crds of the module). */
  crds: string[];
}

export interface CertManager {
  binaries: CertManagerBinaries;
  controller: Managed;
  cainjector: Managed;
  /** Stops both (their process groups); the plane's stop() would too, through its dir's pgids and exit hooks. */
  stop(): Promise<void>;
}

/** The controllers the SelfSigned and CA issuers need, and nothing that talks to anything but the API server. */
export const CERT_MANAGER_CONTROLLERS = [
  'issuers',
  'clusterissuers',
  'certificaterequests-approver',
  'certificaterequests-issuer-selfsigned',
  'certificaterequests-issuer-ca',
  'certificates-trigger',
  'certificates-issuing',
  'certificates-key-manager',
  'certificates-request-manager',
  'certificates-readiness',
  'certificates-revision-manager',
];

const script = join(import.meta.dirname, '..', 'build-cert-manager.sh');
let cached: Promise<CertManagerBinaries> | undefined;

/** Builds the binaries if they are missing (minutes the first time; progress on stderr). */
export function ensureCertManagerBinaries(): Promise<CertManagerBinaries> {
  cached ??= runBuildScript(script, [], 'cert-manager').then((dir) => {
    const crdDir = join(dir, 'crds');
    return {
      dir,
      controller: join(dir, 'cert-manager-controller'),
      cainjector: join(dir, 'cert-manager-cainjector'),
      crds: readdirSync(crdDir).filter((f) => f.endsWith('.yaml')).sort().map((f) => join(crdDir, f)),
    };
  });
  return cached;
}

const CRD_NAMES = ['certificaterequests', 'certificates', 'issuers', 'clusterissuers'].map((r) => `${r}.cert-manager.io`);

/**
 * Installs cert-manager's CRDs into `plane` and starts the controller and the cainjector; returns once the
 * CRDs are servable, the controller's healthz and the cainjector's metrics answer. Both log into the plane's dir
 * (cert-manager-controller.log, cert-manager-cainjector.log) and are killed with their process groups by stop(),
 * by the exit hooks and by the plane's watchdog.
 */
export async function startCertManager(plane: ControlPlane): Promise<CertManager> {
  const binaries = await ensureCertManagerBinaries();
  await installCrds(plane, binaries.crds);

  const [controllerMetrics, controllerHealthz, cainjectorMetrics] = await Promise.all([freePort(), freePort(), freePort()]);
  const started: Managed[] = [];
  const stop = async () => {
    for (const p of started.reverse()) await p.stop();
  };
  try {
    const controller = spawnManaged(
      'cert-manager-controller',
      binaries.controller,
      [
        `--kubeconfig=${plane.kubeconfigPath}`,
        '--leader-elect=false',
        `--controllers=${CERT_MANAGER_CONTROLLERS.join(',')}`,
        `--metrics-listen-address=127.0.0.1:${controllerMetrics}`,
        `--internal-healthz-listen-address=127.0.0.1:${controllerHealthz}`,
        // ClusterIssuers' Secrets would live here; the default (kube-system) is excluded from the webhook anyway.
        '--cluster-resource-namespace=kube-system',
        '--v=2',
      ],
      { dir: plane.dir, env: childEnv() },
    );
    started.push(controller);
    const cainjector = spawnManaged(
      'cert-manager-cainjector',
      binaries.cainjector,
      [
        `--kubeconfig=${plane.kubeconfigPath}`,
        '--leader-elect=false',
        `--metrics-listen-address=127.0.0.1:${cainjectorMetrics}`,
        // Only what manifests/cert-manager asks for: the two webhook configurations.
        '--enable-apiservices-injectable=false',
        '--enable-customresourcedefinitions-injectable=false',
        '--v=2',
      ],
      // cainjector's own --kubeconfig option shadows controller-runtime's flag of that name (pflag keeps the first),
      // and ctrl.GetConfigOrDie reads only the latter: out of a cluster it finds the kubeconfig through KUBECONFIG.
      { dir: plane.dir, env: childEnv({ KUBECONFIG: plane.kubeconfigPath }) },
    );
    started.push(cainjector);
    // The controller's healthz answers /livez once it runs its controllers; the cainjector's metrics server
    // once its manager has started (an early exit, e.g. with no usable kubeconfig, fails here, with its log).
    await Promise.all([
      waitFor('the cert-manager controller /livez', async () => {
        await httpGetPlain(`http://127.0.0.1:${controllerHealthz}/livez`);
        return true;
      }, { alive: controller, timeoutMs: 60_000 }),
      waitFor('the cert-manager cainjector /metrics', async () => {
        await httpGetPlain(`http://127.0.0.1:${cainjectorMetrics}/metrics`);
        return true;
      }, { alive: cainjector, timeoutMs: 60_000 }),
    ]);
    return { binaries, controller, cainjector, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function installCrds(plane: ControlPlane, files: string[]): Promise<void> {
  // Server-side apply: the Issuer CRDs are ~330 kB, beyond what the last-applied annotation holds.
  const args = ['apply', '--server-side', '--field-manager=flink-ha-e2e'];
  for (const file of files) args.push('-f', file);
  await plane.kubectlOk(args);
  const established = '{range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Established")].status}{"\\n"}{end}';
  await waitFor('the cert-manager CRDs to be Established', async () => {
    const out = await plane.kubectlOk(['get', 'crd', ...CRD_NAMES, '-o', `jsonpath=${established}`]);
    return CRD_NAMES.every((n) => out.includes(`${n}=True`)) ? true : undefined;
  }, { timeoutMs: 60_000, alive: plane.apiserver });
  await waitFor('the cert-manager CRDs to be listable', async () => {
    for (const r of ['certificaterequests', 'certificates', 'issuers', 'clusterissuers']) {
      await plane.get(`/apis/cert-manager.io/v1/${r}?limit=1`);
    }
    return true;
  }, { timeoutMs: 60_000, alive: plane.apiserver });
}

/** healthz is plain HTTP on loopback. */
function httpGetPlain(url: string): Promise<string> {
  return new Promise((resolveGet, reject) => {
    const req = httpRequest(url, { timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => ((res.statusCode ?? 0) < 400 ? resolveGet(body) : reject(new Error(`${url}: ${res.statusCode} ${body}`))));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
