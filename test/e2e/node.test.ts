// A real node (kubelet + containerd + runc + CNI bridge) joined to the e2e control plane: Pods from local OCI
// archives run, logs/exec work, Pods reach the API server at 10.0.0.1:443, pulls never leave, teardown is total.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startControlPlane, type ControlPlane } from './harness/index.ts';
import { waitFor } from './harness/processes.ts';
import { localImages, NODE_BRIDGE, startNode, type LocalImages, type NodeInternals } from './harness/node.ts';

const NS = 'node-e2e';
/** The machine before any node ran: teardown must put these back. */
const IP_FORWARD_BEFORE = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
const RUN_CONTAINERD_BEFORE = existsSync('/run/containerd');
const EGRESS_CHAIN = 'FLINKHA-EGRESS';
/** FORWARD may not jump to a chain with a cgroup match (that match is for locally made packets). */
const EGRESS_FORWARD_CHAIN = 'FLINKHA-EGRESS-FWD';

function sh(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

async function waitPod(plane: ControlPlane, name: string, done: (pod: any) => string | undefined, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const r = await plane.kubectl(['-n', NS, 'get', 'pod', name, '-o', 'json']);
    if (r.code === 0) {
      last = r.stdout;
      const result = done(JSON.parse(r.stdout));
      if (result !== undefined) return result;
    }
    if (Date.now() > deadline) throw new Error(`pod ${name} not as expected after ${timeoutMs} ms: ${last}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function pod(name: string, image: string, node: string, extra: Record<string, unknown> = {}, spec: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS },
    spec: {
      // No scheduler here: the Pod is bound to the node by name.
      nodeName: node,
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'main', image, ...extra }],
      ...spec,
    },
  });
}

/** Packet counts of the egress-counting chain's rules, by their comment. */
function egressCounts(cmd: 'iptables' | 'ip6tables', chain: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of sh(cmd, ['-w', '-L', chain, '-v', '-n', '-x']).split('\n')) {
    const m = /^\s*(\d+)\s+\d+\s.*\/\* (\S+) \*\//.exec(line);
    if (m) counts[m[2]!] = Number(m[1]);
  }
  return counts;
}

/** What a node may leave outside its temp dir, checked after its control plane and the node are gone. */
function assertNothingLeft(dir: string, pids: number[]): void {
  assert.throws(() => sh('ip', ['link', 'show', NODE_BRIDGE]), 'bridge removed');
  assert.equal(sh('ip', ['route', 'show', '10.0.0.0/24']).trim(), '', 'blackhole route removed with the control plane');
  for (const cmd of ['iptables-save', 'ip6tables-save']) {
    assert.doesNotMatch(sh(cmd, []), /FLINKHA-|KUBE-FIREWALL|KUBE-KUBELET-CANARY|KUBE-IPTABLES-HINT/, `${cmd}: chains removed`);
  }
  assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(dir), 'no mount under the node dir');
  assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes('/run/netns/cni-'), 'no Pod network namespace');
  for (const controller of readdirSync('/sys/fs/cgroup')) {
    const left = readdirSync(`/sys/fs/cgroup/${controller}`).filter((e) => /^(kubepods|k8s\.io|flink-ha-node)/.test(e));
    assert.deepEqual(left, [], `cgroups left in ${controller}`);
  }
  for (const pid of pids) assert.ok(!existsSync(`/proc/${pid}`), `process ${pid} gone`);
  const strays = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dir);
    } catch {
      return false;
    }
  });
  assert.deepEqual(strays, [], 'no process of the node (kubelet, containerd, shims)');
  assert.ok(!existsSync(dir), 'node dir removed');
  assert.equal(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim(), IP_FORWARD_BEFORE, 'ip_forward restored');
  if (!RUN_CONTAINERD_BEFORE) assert.ok(!existsSync('/run/containerd'), '/run/containerd removed');
  assert.ok(!existsSync('/var/lib/kubelet/device-plugins'), '/var/lib/kubelet/device-plugins removed');
  assert.ok(!existsSync('/var/lib/cni/results') || readdirSync('/var/lib/cni/results').length === 0, 'CNI results removed');
}

describe('a real node', { timeout: 300_000 }, () => {
  let plane: ControlPlane;
  let node: NodeInternals;
  let images: LocalImages;
  const timings: Record<string, number> = {};


  before(async () => {
    const t0 = Date.now();
    plane = await startControlPlane({ node: true, crds: false });
    timings.controlPlaneMs = Date.now() - t0;
    images = await localImages();
    node = await startNode(plane);
    timings.nodeReadyMs = Date.now() - t0;
    // The controller-manager makes the `default` ServiceAccount and the kube-root-ca.crt ConfigMap that every
    // ServiceAccount token volume projects; Pods wait for both.
    await plane.kubectlOk(['create', 'namespace', NS]);
    await waitFor(`the default ServiceAccount and kube-root-ca.crt of ${NS}`, async () => {
      await plane.get(`/api/v1/namespaces/${NS}/serviceaccounts/default`);
      await plane.get(`/api/v1/namespaces/${NS}/configmaps/kube-root-ca.crt`);
      return true;
    }, { alive: plane.controllerManager, timeoutMs: 30_000 });
  });

  after(async () => {
    await node?.stop();
    await plane?.stop();
    console.log(`# timings ${JSON.stringify(timings)}`);
  });

  it('registers a Ready Node with the bridge address as its InternalIP', async () => {
    const out = await plane.kubectlOk(['get', 'node', node.name, '-o', 'jsonpath={.status.addresses[?(@.type=="InternalIP")].address}']);
    assert.equal(out, node.ip);
  });

  it('runs a Pod from a locally imported image; kubectl logs and exec work', async () => {
    const t0 = Date.now();
    await node.importImage(images.busybox.archive);
    timings.importMs = Date.now() - t0;
    await plane.kubectlOk(['apply', '-f', '-'], {
      input: pod('sleeper', images.busybox.name, node.name, {
        imagePullPolicy: 'Never',
        command: ['sh', '-c', 'echo hello-from-the-node; exec sleep 3600'],
        volumeMounts: [{ name: 'k8s', mountPath: '/k8s', readOnly: true }],
      }, { volumes: [{ name: 'k8s', hostPath: { path: plane.binaries.dir, type: 'Directory' } }] }),
    });
    const ip = await waitPod(plane, 'sleeper', (p) => (p.status?.phase === 'Running' ? (p.status.podIP as string) : undefined));
    timings.podRunningMs = Date.now() - t0;
    assert.match(ip, /^10\.88\.0\.\d+$/);
    const logs = await plane.kubectlOk(['-n', NS, 'logs', 'sleeper']);
    assert.equal(logs.trim(), 'hello-from-the-node');
    const exec = await plane.kubectlOk(['-n', NS, 'exec', 'sleeper', '--', 'sh', '-c', 'echo exec-$((6*7))']);
    assert.equal(exec.trim(), 'exec-42');
    timings.rssKubeletKb = rssKb(node.kubelet.pid);
    timings.rssContainerdKb = rssKb(node.containerd.pid);
    timings.rssApiserverKb = rssKb(plane.apiserver.pid);
  });

  it('imports an archive named the way buildah and skopeo name it (org.opencontainers.image.ref.name only)', async () => {
    // The webhook's image comes from `buildah push ... oci-archive:`, whose index.json has no
    // io.containerd.image.name and no platform: rewrite the busybox archive that way.
    const work = mkdtempSync(join(tmpdir(), 'flink-ha-refname-'));
    try {
      sh('tar', ['-xf', images.busybox.archive, '-C', work]);
      const index = JSON.parse(readFileSync(join(work, 'index.json'), 'utf8'));
      const name = 'flink-ha-e2e.local/refname-only:test';
      index.manifests = index.manifests.map((m: any) => ({
        mediaType: m.mediaType, digest: m.digest, size: m.size, annotations: { 'org.opencontainers.image.ref.name': name },
      }));
      writeFileSync(join(work, 'index.json'), JSON.stringify(index));
      sh('tar', ['-cf', join(work, 'image.tar'), '-C', work, 'index.json', 'oci-layout', 'blobs']);
      await node.importImage(join(work, 'image.tar'));
      assert.ok((await node.ctr(['images', 'ls', '-q'])).split('\n').includes(name), `containerd lists the imported image ${name}`);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('lets a Pod reach the API server the in-cluster way: 10.0.0.1:443 with its ServiceAccount token', async () => {
    const env = await plane.kubectlOk(['-n', NS, 'exec', 'sleeper', '--', 'sh', '-c', 'echo $KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT']);
    assert.equal(env.trim(), '10.0.0.1:443');
    // kubectl (static, from the control plane's build, mounted read-only from the host) with its in-cluster
    // config: KUBERNETES_SERVICE_HOST/PORT, the projected token and CA. `auth whoami` is a SelfSubjectReview, so
    // TCP, TLS verified against the CA (SAN 10.0.0.1) and the token all got through.
    const who = await plane.kubectlOk(['-n', NS, 'exec', 'sleeper', '--', '/k8s/kubectl', 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
    assert.equal(who, `system:serviceaccount:${NS}:default`);
    // The host itself still cannot reach a ClusterIP: the service CIDR is a blackhole route.
    assert.match(sh('ip', ['route', 'show', '10.0.0.0/24']), /^blackhole 10\.0\.0\.0\/24/m);
  });

  it("runs the webhook Deployment's security context, and a Secret update reaches the Pod within seconds", async () => {
    await plane.kubectlOk(['-n', NS, 'create', 'secret', 'generic', 'serving', '--from-literal=tls.crt=one']);
    await plane.kubectlOk(['apply', '-f', '-'], {
      input: pod('hardened', images.busybox.name, node.name, {
        imagePullPolicy: 'Never',
        command: ['sleep', '3600'],
        // As manifests/base/deployment.yaml: non-root, seccomp RuntimeDefault, read-only root, no capabilities.
        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
        volumeMounts: [{ name: 'certs', mountPath: '/certs', readOnly: true }, { name: 'tmp', mountPath: '/tmp' }],
      }, {
        securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } },
        volumes: [{ name: 'certs', secret: { secretName: 'serving' } }, { name: 'tmp', emptyDir: {} }],
      }),
    });
    await waitPod(plane, 'hardened', (p) => (p.status?.phase === 'Running' ? 'ok' : undefined));
    const cat = () => plane.kubectlOk(['-n', NS, 'exec', 'hardened', '--', 'cat', '/certs/tls.crt']);
    assert.equal(await cat(), 'one');
    assert.equal((await plane.kubectlOk(['-n', NS, 'exec', 'hardened', '--', 'id', '-u'])).trim(), '65532');
    const t0 = Date.now();
    await plane.kubectlOk(['-n', NS, 'patch', 'secret', 'serving', '-p', JSON.stringify({ stringData: { 'tls.crt': 'two' } })]);
    const deadline = Date.now() + 40_000;
    while ((await cat()) !== 'two') {
      assert.ok(Date.now() < deadline, 'the Secret update did not reach the Pod within 40 s');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    timings.secretUpdateMs = Date.now() - t0;
  });

  it('fails a Pod with an unknown image at once, with no connection leaving loopback and the bridge', async () => {
    // Counters, not filters: RETURN rules in a chain of our own on OUTPUT and FORWARD. Loopback and the bridge
    // are fine; a new connection anywhere else from the node's cgroup (kubelet, containerd, shims) or forwarded
    // from a Pod is what must stay at 0. "dead-proxy" shows the cgroup match does count the node's connections.
    const out4 = [
      ['-m', 'cgroup', '--path', node.cgroup, '-o', 'lo', '-p', 'tcp', '--dport', '9', '--syn', '-m', 'comment', '--comment', 'dead-proxy'],
      ['-o', 'lo'],
      ['-o', NODE_BRIDGE],
      ['-m', 'cgroup', '--path', node.cgroup, '-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'node-out'],
      ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'machine-out'],
    ];
    const out6 = [
      ['-o', 'lo'],
      ['-m', 'cgroup', '--path', node.cgroup, '-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'node-out'],
      ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'machine-out'],
    ];
    const forward = [['-i', NODE_BRIDGE, '!', '-o', NODE_BRIDGE, '-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'pods-forwarded']];
    const chains = [
      ['iptables', 'OUTPUT', EGRESS_CHAIN, out4],
      ['ip6tables', 'OUTPUT', EGRESS_CHAIN, out6],
      ['iptables', 'FORWARD', EGRESS_FORWARD_CHAIN, forward],
    ] as const;
    for (const [cmd, hook, chain, rules] of chains) {
      sh(cmd, ['-w', '-N', chain]);
      for (const rule of rules) sh(cmd, ['-w', '-A', chain, ...rule, '-j', 'RETURN']);
      sh(cmd, ['-w', '-I', hook, '-j', chain]);
    }
    try {
      const t0 = Date.now();
      await plane.kubectlOk(['apply', '-f', '-'], {
        input: pod('unknown-image', 'apache/flink:1.20', node.name, { imagePullPolicy: 'Always' }),
      });
      const waiting = await waitPod(plane, 'unknown-image', (p) => {
        const w = p.status?.containerStatuses?.[0]?.state?.waiting;
        return w && /ErrImagePull|ImagePullBackOff/.test(w.reason) ? `${w.reason}: ${w.message}` : undefined;
      });
      timings.errImagePullMs = Date.now() - t0;
      assert.match(waiting, /127\.0\.0\.1:9/, 'the pull went to the closed loopback proxy');
      const c4 = egressCounts('iptables', EGRESS_CHAIN);
      const c6 = egressCounts('ip6tables', EGRESS_CHAIN);
      const fwd = egressCounts('iptables', EGRESS_FORWARD_CHAIN);
      console.log(`# egress counters ipv4 ${JSON.stringify(c4)} ipv6 ${JSON.stringify(c6)} forward ${JSON.stringify(fwd)}`);
      assert.ok((c4['dead-proxy'] ?? 0) > 0, 'the cgroup match saw containerd dial the dead proxy');
      assert.equal(c4['node-out'], 0);
      assert.equal(c6['node-out'], 0);
      assert.equal(fwd['pods-forwarded'], 0);
    } finally {
      for (const [cmd, hook, chain] of chains) {
        sh(cmd, ['-w', '-D', hook, '-j', chain]);
        sh(cmd, ['-w', '-F', chain]);
        sh(cmd, ['-w', '-X', chain]);
      }
    }
  });

  it('leaves no bridge, route, chain, mount, cgroup, file or process behind', async () => {
    const { dir } = node;
    const pids = [node.kubelet.pid, node.containerd.pid];
    const t0 = Date.now();
    await node.stop();
    timings.nodeStopMs = Date.now() - t0;
    await plane.stop();

    assertNothingLeft(dir, pids);
  });
});

describe('a real node whose test process is killed outright', { timeout: 180_000 }, () => {
  const gone = (pid: number) => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  };
  const hold = async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'support', 'hold-node.ts')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('\n')) resolve(out.split('\n')[0]!);
      });
      child.on('exit', (code) => reject(new Error(`hold-node exited with ${code}`)));
    });
    const held = JSON.parse(line) as { pids: number[]; tasks: number; dir: string; planeDir: string };
    for (const pid of held.pids) assert.doesNotThrow(() => process.kill(pid, 0), `process ${pid} runs`);
    assert.equal(held.tasks, 2, 'a sandbox and a container run');
    return { child, held };
  };

  it('is torn down completely by the watchdogs', async () => {
    const { child, held } = await hold();
    child.kill('SIGKILL');
    for (let i = 0; i < 300 && !(held.pids.every(gone) && !existsSync(held.dir) && !existsSync(held.planeDir)); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(!existsSync(held.planeDir), 'the control plane dir was removed');
    assertNothingLeft(held.dir, held.pids);
  });

  it('leaves debris that the next node start cleans up when even the watchdog is killed', async () => {
    const { child, held } = await hold();
    // The node's watchdog is `bash -c ... watchdog <dir>`: kill it first, then the test process, so that the
    // kubelet, containerd, the shims, the Pod and everything outside the dir are left as a crash would leave them.
    const watchdogs = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
        return argv[0] === 'bash' && argv[3] === 'watchdog' && argv[4] === held.dir;
      } catch {
        return false;
      }
    });
    assert.equal(watchdogs.length, 1, 'found the node watchdog');
    process.kill(Number(watchdogs[0]), 'SIGKILL');
    child.kill('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.ok(existsSync(held.dir), 'the node dir is still there');
    assert.ok(!gone(held.pids[2]!), 'the kubelet still runs');
    assert.doesNotThrow(() => sh('ip', ['link', 'show', NODE_BRIDGE]), 'the bridge is still there');
    // What startNode runs first.
    sh('bash', [join(import.meta.dirname, 'node', 'teardown.sh'), 'debris']);
    assertNothingLeft(held.dir, held.pids);
  });
});
