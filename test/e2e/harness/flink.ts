// Real Flink for the e2e tests: JobManagers (standalone application mode) and a TaskManager as plain JVMs on this
// machine, with Kubernetes HA against the test kube-apiserver, as the namespace's HA ServiceAccount (a pod-bound token).
//
// API
//   ensureFlink(version)            the jars (Maven Central, ~/.m2) and the compiled test job, cached under
//                                   ~/.cache/flink-ha-webhook/flink-<version>/ by test/flink/build-flink.sh
//   podBoundKubeconfig(plane, ...)  a Pod object of the ServiceAccount, a TokenRequest bound to it, a kubeconfig
//   startFlinkCluster(plane, opts)  a cluster's config and dirs; .startJobManager(), .startTaskManager(), .kill(jm), .stop()
//   rest helpers: jobs(), checkpoints(), numRestarts(), cancel(); leaderRecord(plane, ns, configMap)
//
// Every JVM runs in its own process group under the control plane's temp dir, so the control plane's exit hooks
// and watchdog kill it too when a test throws or the test process dies; stop() kills them in order.
import { LEADER_ANNOTATION } from '../../../src/flink/ha-configmap.ts';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { runBuildScript } from './build-script.ts';
import { join } from 'node:path';
import { freePort, REPO_ROOT, type ControlPlane } from './control-plane.ts';
import { childEnv, spawnManaged, waitFor, writePrivate, type Managed } from './processes.ts';

export interface FlinkBuild {
  version: string;
  /** The cache dir: classpath.txt, job/. */
  dir: string;
  /** Flink's jars and the compiled test job. */
  classpath: string;
}

const buildScript = join(REPO_ROOT, 'test', 'flink', 'build-flink.sh');
const builds = new Map<string, Promise<FlinkBuild>>();

/** Resolves Flink `version` and compiles the test job, once (a cached run returns at once). */
export function ensureFlink(version: string): Promise<FlinkBuild> {
  let build = builds.get(version);
  if (!build) {
    build = runBuildScript(buildScript, [version], `Flink ${version}`).then((dir) => {
      const jars = readFileSync(join(dir, 'classpath.txt'), 'utf8').trim();
      return { version, dir, classpath: `${jars}:${join(dir, 'job')}` };
    });
    builds.set(version, build);
  }
  return build;
}

/**
 * A kubeconfig for `serviceAccount` in `namespace` holding a token bound to a Pod object of that ServiceAccount,
 * as a real Flink pod's projected token is (the API server adds the pod's name and uid to the token's user info).
 * The Pod stays Pending (there is no node); it exists only to bind the token. Not impersonation: the API server
 * authenticates the token itself.
 */
export async function podBoundKubeconfig(
  plane: ControlPlane,
  { namespace, serviceAccount, pod, file }: { namespace: string; serviceAccount: string; pod: string; file: string },
): Promise<string> {
  const podObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    // No Flink labels and no Flink image: this object only carries the token binding, the webhook's workload
    // rules have nothing to do with it.
    metadata: { name: pod, namespace },
    spec: {
      serviceAccountName: serviceAccount,
      automountServiceAccountToken: false,
      containers: [{ name: 'main', image: 'registry.invalid/placeholder:1' }],
    },
  };
  await plane.kubectlOk(['apply', '-f', '-'], { input: JSON.stringify(podObject) });
  const token = (
    await plane.kubectlOk([
      'create', 'token', serviceAccount, '-n', namespace, '--bound-object-kind', 'Pod', '--bound-object-name', pod,
      '--duration', '2h',
    ])
  ).trim();
  const caData = readFileSync(plane.pki.caCert).toString('base64');
  const kubeconfig = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: e2e`,
    `  cluster: {server: "${plane.server}", certificate-authority-data: "${caData}"}`,
    'users:',
    `- name: ${serviceAccount}`,
    `  user: {token: "${token}"}`,
    'contexts:',
    `- name: ${serviceAccount}`,
    `  context: {cluster: e2e, user: ${serviceAccount}, namespace: ${namespace}}`,
    `current-context: ${serviceAccount}`,
    '',
  ].join('\n');
  writePrivate(file, kubeconfig);
  return file;
}

/** Leader election timings for the tests: shorter than Flink's defaults (15 s / 15 s / 5 s) so failover is quick. */
export const TEST_LEADER_ELECTION = { leaseDuration: '10 s', renewDeadline: '7 s', retryPeriod: '2 s' };

export interface FlinkClusterOptions {
  build: FlinkBuild;
  namespace: string;
  clusterId: string;
  /** Kubeconfig the Flink processes use (a pod-bound token of the HA ServiceAccount). */
  kubeconfig: string;
  /** Extra config.yaml entries. */
  config?: Record<string, string>;
}

export interface JobManager {
  name: string;
  process: Managed;
  restPort: number;
  restUrl: string;
}

export interface FlinkCluster {
  clusterId: string;
  dir: string;
  /** file:// checkpoint directory (per job: <dir>/<job-id>/chk-<n>). */
  checkpointDir: string;
  jobManagers: JobManager[];
  taskManagers: Managed[];
  /** Starts a JobManager (application mode, the test job) on fresh loopback ports; returns once its REST answers. */
  startJobManager(): Promise<JobManager>;
  /** Starts a TaskManager; it finds the leading JobManager through the HA ConfigMap. */
  startTaskManager(): Managed;
  /** SIGKILL to the JobManager's process group (a crash: nothing is cleaned up). */
  kill(jm: JobManager): Promise<void>;
  /** Stops every Flink process of this cluster. */
  stop(): Promise<void>;
}

/** The JVM options Flink's scripts pass on Java 17 (env.java.default-opts.all of the shipped config). */
const JAVA17_OPTS = [
  '--add-exports=java.base/sun.net.util=ALL-UNNAMED',
  '--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED',
  '--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED',
  ...['api', 'file', 'parser', 'tree', 'util'].map((p) => `--add-exports=jdk.compiler/com.sun.tools.javac.${p}=ALL-UNNAMED`),
  ...[
    'java.lang', 'java.net', 'java.io', 'java.nio', 'sun.nio.ch', 'java.lang.reflect', 'java.text', 'java.time',
    'java.util', 'java.util.concurrent', 'java.util.concurrent.atomic', 'java.util.concurrent.locks',
  ].map((p) => `--add-opens=java.base/${p}=ALL-UNNAMED`),
];

/** Two cores shared with the API server, etcd and the webhook: a small heap, the C1 compiler only, serial GC. */
const SMALL_JVM = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-XX:MaxMetaspaceSize=256m'];

/**
 * TaskManager memory, set explicitly because there is no taskmanager.sh to compute it (TaskManagerRunner refuses
 * to start without the fine-grained sizes). The JVM flags below are what BashJavaUtils GET_TM_RESOURCE_PARAMS
 * derives from them: heap = framework + task heap, direct = framework + task off-heap + network.
 */
const TM_MEMORY: Record<string, string> = {
  'taskmanager.cpu.cores': '1',
  'taskmanager.memory.framework.heap.size': '64m',
  'taskmanager.memory.framework.off-heap.size': '64m',
  'taskmanager.memory.task.heap.size': '128m',
  'taskmanager.memory.task.off-heap.size': '0m',
  'taskmanager.memory.managed.size': '32m',
  'taskmanager.memory.network.min': '32m',
  'taskmanager.memory.network.max': '32m',
  'taskmanager.memory.jvm-metaspace.size': '128m',
  'taskmanager.memory.jvm-overhead.min': '64m',
  'taskmanager.memory.jvm-overhead.max': '64m',
};
const TM_JVM = ['-Xms192m', '-Xmx192m', '-XX:MaxDirectMemorySize=96m'];
const JM_JVM = ['-Xms128m', '-Xmx384m'];

const LOG4J = `rootLogger.level = INFO
rootLogger.appenderRef.console.ref = Console
appender.console.name = Console
appender.console.type = CONSOLE
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss,SSS} %-5p %c{1} - %m%n
`;

let clusters = 0;

export function startFlinkCluster(plane: ControlPlane, options: FlinkClusterOptions): FlinkCluster {
  const { build, namespace, clusterId, kubeconfig } = options;
  clusters += 1;
  // Under the control plane's dir: removed with it, and its watchdog kills these processes' groups too.
  const dir = join(plane.dir, `flink-${clusterId}-${clusters}`);
  const checkpointDir = join(dir, 'checkpoints');
  mkdirSync(checkpointDir, { recursive: true });
  const base: Record<string, string> = {
    // Loopback only, for every server socket Flink opens (RPC, blob server, REST, TaskManager data and RPC).
    'jobmanager.rpc.address': '127.0.0.1',
    'jobmanager.bind-host': '127.0.0.1',
    'rest.address': '127.0.0.1',
    'rest.bind-address': '127.0.0.1',
    'taskmanager.host': '127.0.0.1',
    'taskmanager.bind-host': '127.0.0.1',
    'taskmanager.numberOfTaskSlots': '2',
    'parallelism.default': '1',
    ...TM_MEMORY,
    'high-availability.type': 'kubernetes',
    'high-availability.storageDir': `file://${join(dir, 'ha')}`,
    'kubernetes.cluster-id': clusterId,
    'kubernetes.namespace': namespace,
    'kubernetes.config.file': kubeconfig,
    'high-availability.kubernetes.leader-election.lease-duration': TEST_LEADER_ELECTION.leaseDuration,
    'high-availability.kubernetes.leader-election.renew-deadline': TEST_LEADER_ELECTION.renewDeadline,
    'high-availability.kubernetes.leader-election.retry-period': TEST_LEADER_ELECTION.retryPeriod,
    'execution.checkpointing.interval': '1 s',
    'execution.checkpointing.dir': `file://${checkpointDir}`,
    'state.backend.type': 'hashmap',
    'restart-strategy.type': 'fixed-delay',
    'restart-strategy.fixed-delay.attempts': '1000',
    'restart-strategy.fixed-delay.delay': '1 s',
    ...options.config,
  };
  // No KUBERNETES_SERVICE_HOST/PORT: fabric8 must never fall back to an in-cluster address; KUBECONFIG points
  // at the same loopback kubeconfig in case anything reads the default chain.
  const env = childEnv({ KUBECONFIG: kubeconfig });
  delete env.KUBERNETES_SERVICE_HOST;
  delete env.KUBERNETES_SERVICE_PORT;
  delete env.FLINK_CONF_DIR;

  let processes = 0;
  const writeConf = (name: string, extra: Record<string, string>) => {
    const conf = join(dir, name, 'conf');
    const tmp = join(dir, name, 'tmp');
    mkdirSync(conf, { recursive: true });
    mkdirSync(tmp, { recursive: true });
    // Every temp file of the JVM in the test's dir, removed with it (Flink's web upload dir defaults to /tmp).
    const all = { ...base, 'io.tmp.dirs': tmp, 'web.tmpdir': tmp, ...extra };
    // Flat `key: value` lines quoted as JSON strings: valid YAML for 1.20's and 2.x's config.yaml readers.
    writeFileSync(join(conf, 'config.yaml'), Object.entries(all).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join('\n') + '\n');
    writeFileSync(join(conf, 'log4j2.properties'), LOG4J);
    return conf;
  };
  const java = (name: string, jvm: string[], mainClass: string, args: string[]) => {
    const conf = join(dir, name, 'conf');
    return spawnManaged(
      `flink-${clusterId}-${name}`,
      'java',
      [...JAVA17_OPTS, ...SMALL_JVM, ...jvm, `-Djava.io.tmpdir=${join(dir, name, 'tmp')}`, `-Dlog4j.configurationFile=file:${join(conf, 'log4j2.properties')}`,
        '-cp', build.classpath, mainClass, '--configDir', conf, ...args],
      { dir: plane.dir, cwd: join(dir, name), env },
    );
  };

  const cluster: FlinkCluster = {
    clusterId,
    dir,
    checkpointDir,
    jobManagers: [],
    taskManagers: [],
    async startJobManager() {
      processes += 1;
      const name = `jm${processes}`;
      const [restPort, rpcPort] = await Promise.all([freePort(), freePort()]);
      writeConf(name, { 'rest.port': String(restPort), 'jobmanager.rpc.port': String(rpcPort) });
      const proc = java(name, JM_JVM, 'org.apache.flink.container.entrypoint.StandaloneApplicationClusterEntryPoint', [
        '--job-classname', 'flinkha.CounterJob',
      ]);
      const jm: JobManager = { name, process: proc, restPort, restUrl: `http://127.0.0.1:${restPort}` };
      cluster.jobManagers.push(jm);
      await waitFor(`${proc.name}'s REST API`, () => getJson(`${jm.restUrl}/config`).then(() => true), {
        alive: proc,
        timeoutMs: 90_000,
        intervalMs: 500,
      });
      return jm;
    },
    startTaskManager() {
      processes += 1;
      const name = `tm${processes}`;
      writeConf(name, {});
      const proc = java(name, TM_JVM, 'org.apache.flink.runtime.taskexecutor.TaskManagerRunner', []);
      cluster.taskManagers.push(proc);
      return proc;
    },
    async kill(jm) {
      try {
        process.kill(-jm.process.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      await jm.process.exited;
    },
    async stop() {
      await Promise.all([...cluster.jobManagers.map((jm) => jm.process), ...cluster.taskManagers].map((p) => p.stop(3000)));
    },
  };
  return cluster;
}

// --- REST (the JobManager's own API on 127.0.0.1) ---

export function getJson<T = any>(url: string, method = 'GET'): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, timeout: 5000, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        if ((res.statusCode ?? 0) >= 400) {
          reject(new Error(`${method} ${url}: ${res.statusCode} ${body.slice(0, 300)}`));
          return;
        }
        try {
          resolve((body === '' ? {} : JSON.parse(body)) as T);
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

export interface JobOverview {
  jid: string;
  name: string;
  state: string;
}

export async function jobs(jm: JobManager): Promise<JobOverview[]> {
  return (await getJson<{ jobs: JobOverview[] }>(`${jm.restUrl}/jobs/overview`)).jobs;
}

/** Waits until the JobManager runs the test job (state RUNNING, all tasks running); returns its id. */
export async function waitForRunningJob(jm: JobManager, timeoutMs = 120_000): Promise<string> {
  return waitFor(
    `the job RUNNING on ${jm.process.name}`,
    async () => {
      const running = (await jobs(jm)).find((j) => j.state === 'RUNNING');
      if (!running) return undefined;
      const detail = await getJson<{ vertices: Array<{ status: string }> }>(`${jm.restUrl}/jobs/${running.jid}`);
      return detail.vertices.every((v) => v.status === 'RUNNING') ? running.jid : undefined;
    },
    { alive: jm.process, timeoutMs, intervalMs: 500 },
  );
}

export interface CheckpointStats {
  completed: number;
  restored: number;
  latestCompleted: number | undefined;
  latestRestored: number | undefined;
}

/** GET /jobs/<id>/checkpoints: counts and the latest completed and restored checkpoint ids. */
export async function checkpoints(jm: JobManager, jobId: string): Promise<CheckpointStats> {
  const stats = await getJson<{
    counts: { completed: number; restored: number };
    latest: { completed: { id: number } | null; restored: { id: number } | null };
  }>(`${jm.restUrl}/jobs/${jobId}/checkpoints`);
  return {
    completed: stats.counts.completed,
    restored: stats.counts.restored,
    latestCompleted: stats.latest.completed?.id,
    latestRestored: stats.latest.restored?.id,
  };
}

/** Waits until a checkpoint newer than `after` has completed; returns its id. */
export async function waitForCheckpointAfter(jm: JobManager, jobId: string, after: number, timeoutMs = 60_000): Promise<number> {
  return waitFor(
    `a checkpoint after ${after} on ${jm.process.name}`,
    async () => {
      const id = (await checkpoints(jm, jobId)).latestCompleted;
      return id !== undefined && id > after ? id : undefined;
    },
    { alive: jm.process, timeoutMs, intervalMs: 500 },
  );
}

/**
 * The job's restart count: the `numRestarts` job metric (the JobManager's metric fetcher fills it on first ask,
 * so this polls until it answers).
 */
export async function numRestarts(jm: JobManager, jobId: string): Promise<number> {
  return waitFor(
    `numRestarts of ${jobId}`,
    async () => {
      const metrics = await getJson<Array<{ id: string; value?: string }>>(`${jm.restUrl}/jobs/${jobId}/metrics?get=numRestarts`);
      const value = metrics.find((m) => m.id === 'numRestarts')?.value;
      return value === undefined ? undefined : Number(value);
    },
    { alive: jm.process, timeoutMs: 30_000, intervalMs: 500 },
  );
}

/** Cancels the job (PATCH /jobs/<id>?mode=cancel): a globally terminal state. */
export async function cancelJob(jm: JobManager, jobId: string): Promise<void> {
  await getJson(`${jm.restUrl}/jobs/${jobId}?mode=cancel`, 'PATCH');
}

// --- The HA ConfigMaps as the API server stores them ---

export interface ConfigMap {
  kind: 'ConfigMap';
  apiVersion: 'v1';
  metadata: {
    name: string;
    namespace: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: unknown[];
    resourceVersion?: string;
  };
  data?: Record<string, string>;
}

/**
 * A Flink cluster's HA ConfigMaps, by the labels every Flink version puts on them (`type` and `app`; Flink 1.x
 * also adds `configmap-type=high-availability`, 2.x does not). Read as admin.
 */
export async function haConfigMaps(plane: ControlPlane, namespace: string, clusterId: string): Promise<ConfigMap[]> {
  const selector = `type=flink-native-kubernetes,app=${clusterId}`;
  const out = await plane.kubectlOk(['get', 'configmaps', '-n', namespace, '-l', selector, '-o', 'json']);
  return (JSON.parse(out) as { items: ConfigMap[] }).items;
}

export async function getConfigMap(plane: ControlPlane, namespace: string, name: string): Promise<ConfigMap | undefined> {
  const r = await plane.kubectl(['get', 'configmap', name, '-n', namespace, '-o', 'json']);
  return r.code === 0 ? (JSON.parse(r.stdout) as ConfigMap) : undefined;
}

/** fabric8's leader annotation, as the policy knows it. */
export { LEADER_ANNOTATION };

/** fabric8's ConfigMapLock record (the leader annotation). */
export interface LeaderRecord {
  holderIdentity: string;
  leaseDuration: number | string;
  acquireTime: string;
  renewTime: string;
  leaderTransitions: number;
}

export function leaderRecordOf(cm: ConfigMap | undefined): LeaderRecord | undefined {
  const raw = cm?.metadata.annotations?.[LEADER_ANNOTATION];
  return raw === undefined ? undefined : (JSON.parse(raw) as LeaderRecord);
}

/** The highest checkpointID-<n> pointer in a job's HA ConfigMap: the latest checkpoint Flink has completed. */
export function latestCheckpointPointer(cm: ConfigMap | undefined): number | undefined {
  const ids = Object.keys(cm?.data ?? {})
    .map((k) => /^checkpointID-(\d+)$/.exec(k)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number);
  return ids.length === 0 ? undefined : Math.max(...ids);
}
