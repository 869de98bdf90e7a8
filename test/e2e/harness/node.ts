// A real node for the e2e control plane: kubelet (built with kube-apiserver) + Debian's containerd 1.6 + runc +
// a CNI bridge, on a bridge of its own, Pods from locally imported OCI archives only (every pull fails at once).
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ControlPlane } from './control-plane.ts';
import { SERVICE_CIDR } from './node-apiserver.ts';
import { makeNodePki } from './pki.ts';
import { addCleanupScript, childEnv, spawnManaged, startWatchdog, trackDir, untrackDir, waitFor, type Managed } from './processes.ts';

const run = promisify(execFile);
const NODE_DIR = join(import.meta.dirname, '..', 'node');
const TEARDOWN = join(NODE_DIR, 'teardown.sh');

/** The bridge the harness creates and the node's address on it (10.88.0.0/24 overlaps none of the machine's
 * routes: eth0 is 192.0.2.0/24, the service CIDR 10.0.0.0/24). teardown.sh knows the bridge name too. */
export const NODE_BRIDGE = 'flinkha0';
export const NODE_IP = '10.88.0.1';
export const POD_CIDR = '10.88.0.0/24';
/** The `kubernetes` Service's ClusterIP, DNATed for Pods only (see setUpNetwork). */
export const KUBERNETES_SERVICE_IP = '10.0.0.1';
/** nat chain (PREROUTING, from the bridge): 10.0.0.1:443 -> the API server on loopback. */
export const DNAT_CHAIN = 'FLINKHA-NODE-DNAT';
/** filter chain (FORWARD): nothing is routed from the bridge to anywhere else, or back. */
export const FORWARD_CHAIN = 'FLINKHA-NODE-FWD';
/** filter chain (OUTPUT, IPv4 and IPv6): the node's own processes (its cgroup) reach loopback and the bridge only. */
export const OUTPUT_CHAIN = 'FLINKHA-NODE-OUT';
/** Closed loopback port: every image pull goes to this "proxy" and fails at once, before any DNS or dial out. */
const DEAD_PROXY = 'http://127.0.0.1:9';

export interface Node {
  /** The Node object's name (also the kubelet's hostname override). */
  name: string;
  /** The node's InternalIP: the bridge address, where the API server reaches the kubelet and Pods reach the host. */
  ip: string;
  /** Imports an OCI archive into the node's containerd (namespace k8s.io, unpacked for overlayfs) under the name
   * its index.json gives (`io.containerd.image.name`, or a full `org.opencontainers.image.ref.name` as buildah
   * writes), and checks that the name is listed; Pods use it with `imagePullPolicy: Never` or `IfNotPresent`. */
  importImage(ociArchivePath: string): Promise<void>;
  stop(): Promise<void>;
}

export interface NodeOptions {
  /** Node name (default `e2e-node`). */
  name?: string;
  /** Node Ready timeout (default 90 s). */
  readyTimeoutMs?: number;
}

/** Extra facts about a started node, for tests that check its inner workings (not part of the Node contract). */
export interface NodeInternals extends Node {
  dir: string;
  kubelet: Managed;
  containerd: Managed;
  /** cgroup v2 dir (under /sys/fs/cgroup/unified) holding kubelet, containerd and the shims: iptables can match
   * their traffic with `-m cgroup --path <it>`. */
  cgroup: string;
  containerdSocket: string;
  /** `ctr` against this node's containerd, namespace k8s.io. */
  ctr(args: string[]): Promise<string>;
}

/** The locally built images (build-images.sh), name -> OCI archive path. */
export interface LocalImages {
  pause: { name: string; archive: string };
  busybox: { name: string; archive: string };
}

let images: Promise<LocalImages> | undefined;

/** Builds (or finds, cached by content) the pause and busybox images; no registry is involved. */
export function localImages(): Promise<LocalImages> {
  images ??= run('bash', [join(NODE_DIR, 'build-images.sh')], { maxBuffer: 1 << 20 }).then(({ stdout }) => {
    const byImage = new Map(
      stdout.trim().split('\n').map((line) => {
        const [name = '', archive = ''] = line.split(' ');
        return [name.replace(/^flink-ha-e2e\.local\/([^:]+):.*$/, '$1'), { name, archive }] as const;
      }),
    );
    const pause = byImage.get('pause');
    const busybox = byImage.get('busybox');
    if (!pause || !busybox) throw new Error(`build-images.sh printed no pause/busybox image: ${stdout}`);
    return { pause, busybox };
  });
  return images;
}

/** Root, the Debian packages and the kubelet binary: checked first, with what to do when one is missing. */
async function checkPrerequisites(plane: ControlPlane): Promise<string> {
  if (process.getuid?.() !== 0) throw new Error('a real node needs root (bridge, iptables, cgroups, mounts)');
  if (!plane.node) throw new Error('startNode needs a control plane started with { node: true } (kubelet flags, Node authorizer)');
  try {
    await run('bash', [join(NODE_DIR, 'install-packages.sh')], { maxBuffer: 16 << 20 });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? String(err);
    throw new Error(`test/e2e/node/install-packages.sh failed: ${stderr.trim()}`, { cause: err });
  }
  const kubelet = join(plane.binaries.dir, 'kubelet');
  if (!existsSync(kubelet)) {
    throw new Error(
      `no kubelet at ${kubelet}: build-control-plane.sh builds it beside kube-apiserver (k8s.io/kubernetes/cmd/kubelet); ` +
        'rebuild the cache (remove the directory or run test/e2e/build-control-plane.sh)',
    );
  }
  return kubelet;
}

/**
 * The image names an OCI archive's index.json gives: `io.containerd.image.name` (what our build-images.sh and
 * containerd write), else a full reference in `org.opencontainers.image.ref.name` (what `buildah push
 * oci-archive:` and skopeo write).
 */
async function imageNamesOf(archive: string): Promise<string[]> {
  let text: string;
  try {
    text = (await run('tar', ['-xOf', archive, '--wildcards', '--no-anchored', 'index.json'], { maxBuffer: 16 << 20 })).stdout;
  } catch (err) {
    throw new Error(`${archive} is not an OCI archive with an index.json`, { cause: err });
  }
  const index = JSON.parse(text) as { manifests?: { annotations?: Record<string, string> }[] };
  const names = (index.manifests ?? [])
    .map((m) => m.annotations?.['io.containerd.image.name'] ?? m.annotations?.['org.opencontainers.image.ref.name'])
    .filter((n): n is string => n !== undefined && n.includes('/'));
  if (names.length === 0) throw new Error(`${archive}: index.json names no image (io.containerd.image.name or a full org.opencontainers.image.ref.name)`);
  return names;
}

function sh(command: string, args: string[]): void {
  execFileSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * The bridge, and the only two ways traffic may cross it: Pods reach the API server at 10.0.0.1:443 (DNAT to its
 * loopback port, allowed into 127.0.0.1 by route_localnet on the bridge alone), and nothing is forwarded between
 * the bridge and any other interface. Host-originated traffic to 10.0.0.1 does not pass PREROUTING and still
 * meets the blackhole route.
 */
function setUpNetwork(apiPort: number, cgroup: string): void {
  sh('ip', ['link', 'add', NODE_BRIDGE, 'type', 'bridge']);
  sh('ip', ['addr', 'add', `${NODE_IP}/24`, 'dev', NODE_BRIDGE]);
  sh('ip', ['link', 'set', NODE_BRIDGE, 'up']);
  writeFileSync(`/proc/sys/net/ipv4/conf/${NODE_BRIDGE}/route_localnet`, '1');
  sh('iptables', ['-w', '-t', 'nat', '-N', DNAT_CHAIN]);
  sh('iptables', ['-w', '-t', 'nat', '-A', DNAT_CHAIN, '-d', `${KUBERNETES_SERVICE_IP}/32`, '-p', 'tcp', '--dport', '443',
    '-j', 'DNAT', '--to-destination', `127.0.0.1:${apiPort}`]);
  sh('iptables', ['-w', '-t', 'nat', '-I', 'PREROUTING', '-i', NODE_BRIDGE, '-j', DNAT_CHAIN]);
  sh('iptables', ['-w', '-N', FORWARD_CHAIN]);
  // Pod to Pod on the bridge (bridged frames pass FORWARD where br_netfilter is loaded): the harness's own hosts.
  sh('iptables', ['-w', '-A', FORWARD_CHAIN, '-i', NODE_BRIDGE, '-o', NODE_BRIDGE, '-j', 'ACCEPT']);
  sh('iptables', ['-w', '-A', FORWARD_CHAIN, '-i', NODE_BRIDGE, '-j', 'DROP']);
  sh('iptables', ['-w', '-A', FORWARD_CHAIN, '-o', NODE_BRIDGE, '-j', 'DROP']);
  sh('iptables', ['-w', '-I', 'FORWARD', '-j', FORWARD_CHAIN]);
  // The safety net under the dead proxy: whatever kubelet, containerd or a shim might dial (a registry, a DNS
  // server), it is refused on the spot unless it goes to loopback or the bridge.
  for (const cmd of ['iptables', 'ip6tables']) {
    sh(cmd, ['-w', '-N', OUTPUT_CHAIN]);
    sh(cmd, ['-w', '-A', OUTPUT_CHAIN, '-o', 'lo', '-j', 'RETURN']);
    sh(cmd, ['-w', '-A', OUTPUT_CHAIN, '-o', NODE_BRIDGE, '-j', 'RETURN']);
    sh(cmd, ['-w', '-A', OUTPUT_CHAIN, '-m', 'cgroup', '--path', cgroup, '-j', 'REJECT']);
    sh(cmd, ['-w', '-I', 'OUTPUT', '-j', OUTPUT_CHAIN]);
  }
}

function cniConfig(dir: string): string {
  return JSON.stringify({
    cniVersion: '1.0.0',
    name: 'flinkha',
    plugins: [
      {
        type: 'bridge',
        bridge: NODE_BRIDGE,
        isGateway: true,
        // No masquerade: nothing from the bridge may leave the machine (the FORWARD chain drops it anyway).
        ipMasq: false,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: POD_CIDR, gateway: NODE_IP }]],
          // No default route in a Pod: the node (on-link) and, through it, the service CIDR are all it can reach.
          routes: [{ dst: SERVICE_CIDR }],
          // Not /var/lib/cni/networks: the allocations die with the temp dir.
          dataDir: join(dir, 'cni', 'ipam'),
        },
      },
    ],
  }, null, 2);
}

function containerdConfig(dir: string, pauseImage: string): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return `version = 2
root = "${dir}/containerd/root"
state = "${dir}/containerd/state"
# Not needed here, and each would probe or write outside the temp dir.
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp"]

[grpc]
  address = "${dir}/containerd/containerd.sock"
[ttrpc]
  address = "${dir}/containerd/containerd.sock.ttrpc"

[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = "${dir}/containerd/opt"
  [${cri}]
    sandbox_image = "${pauseImage}"
    # REQUIRED on this VM: it withholds CAP_SYS_RESOURCE, and runc fails every sandbox ("can't get final
    # child's PID from pipe: EOF") when asked for the kubelet's oom_score_adj -998.
    restrict_oom_score_adj = true
    disable_apparmor = true
    # Pod network namespaces under the temp dir, not /var/run/netns.
    netns_mounts_under_state_dir = true
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
    [${cri}.containerd]
      snapshotter = "overlayfs"
      default_runtime_name = "runc"
      [${cri}.containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [${cri}.containerd.runtimes.runc.options]
          SystemdCgroup = false
          Root = "${dir}/runc"
    [${cri}.cni]
      bin_dir = "/usr/lib/cni"
      conf_dir = "${dir}/cni/net.d"
      max_conf_num = 1
`;
}

function kubeletConfig(dir: string, pki: Awaited<ReturnType<typeof makeNodePki>>, caCert: string, socket: string): string {
  return JSON.stringify({
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    // This VM mounts cgroup v1 (with cgroup2 beside it); 1.37 refuses v1 unless told.
    failCgroupV1: false,
    cgroupDriver: 'cgroupfs',
    failSwapOn: false,
    containerRuntimeEndpoint: `unix://${socket}`,
    imageServiceEndpoint: `unix://${socket}`,
    // Only on the bridge address: the kubelet's API is never on eth0.
    address: NODE_IP,
    port: 10250,
    readOnlyPort: 0,
    healthzPort: 0,
    tlsCertFile: pki.kubeletServingCert,
    tlsPrivateKeyFile: pki.kubeletServingKey,
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: true },
      x509: { clientCAFile: caCert },
    },
    authorization: { mode: 'Webhook' },
    // A resolv.conf of its own: Pods must not get the host's resolvers (a query would leave the machine).
    resolvConf: join(dir, 'resolv.conf'),
    clusterDomain: 'cluster.local',
    podLogsDir: join(dir, 'pod-logs'),
    // The disk is shared with other work: never evict or garbage-collect images because of it.
    evictionHard: { 'memory.available': '50Mi', 'nodefs.available': '1%', 'nodefs.inodesFree': '1%', 'imagefs.available': '1%' },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    // Secret and ConfigMap volumes are refreshed only on a Pod's periodic sync (every syncFrequency plus jitter):
    // 10s measured 15 s for a rotated Secret to reach the Pod; 5 s keeps it to seconds (default 1 min).
    syncFrequency: '5s',
    nodeStatusUpdateFrequency: '5s',
    serializeImagePulls: false,
    maxPods: 30,
    registerNode: true,
  }, null, 2);
}

function kubeletKubeconfig(server: string, caCert: string, cert: string, key: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'e2e', cluster: { server, 'certificate-authority': caCert } }],
    users: [{ name: 'kubelet', user: { 'client-certificate': cert, 'client-key': key } }],
    contexts: [{ name: 'e2e', context: { cluster: 'e2e', user: 'kubelet' } }],
    'current-context': 'e2e',
  });
}

/**
 * Starts containerd and a kubelet that registers as a Node of `plane` (started with `node: true`), and waits
 * until the Node is Ready. One node per machine (the bridge name is fixed); debris of an earlier, killed run is
 * cleaned first.
 */
export async function startNode(plane: ControlPlane, options: NodeOptions = {}): Promise<NodeInternals> {
  const name = options.name ?? 'e2e-node';
  const kubeletBinary = await checkPrerequisites(plane);
  const { pause } = await localImages();
  await run('bash', [TEARDOWN, 'debris']);

  const dir = mkdtempSync('/tmp/flink-ha-node-');
  writeFileSync(join(dir, 'owner.pid'), `${process.pid}\n`);
  await run('bash', [TEARDOWN, 'record', dir]);
  addCleanupScript(dir, 'node', `bash ${TEARDOWN} clean ${dir}\n`);
  trackDir(dir);
  const retireWatchdog = startWatchdog(dir);
  const started: Managed[] = [];
  const teardown = async () => {
    for (const p of started.reverse()) await p.stop(3000);
    await run('bash', [TEARDOWN, 'clean', dir]);
    retireWatchdog();
    untrackDir(dir);
  };

  try {
    for (const sub of ['containerd', 'cni/net.d', 'cni/ipam', 'kubelet', 'pod-logs', 'runc']) {
      mkdirSync(join(dir, sub), { recursive: true });
    }
    writeFileSync(join(dir, 'cni', 'net.d', '10-flinkha.conflist'), cniConfig(dir));
    writeFileSync(join(dir, 'containerd', 'config.toml'), containerdConfig(dir, pause.name));
    // The Pods' own loopback: a lookup goes nowhere (there is no cluster DNS), never to the host's resolvers.
    writeFileSync(join(dir, 'resolv.conf'), 'nameserver 127.0.0.1\noptions ndots:1\n');

    // kubelet, containerd and everything containerd starts (shims) share a cgroup v2 dir of their own, so that
    // a test can count their packets with iptables' cgroup match.
    const cgroup = dir.replace(/^\/tmp\//, '');
    mkdirSync(`/sys/fs/cgroup/unified/${cgroup}`);
    writeFileSync(join(dir, 'state', 'cgroup'), cgroup);
    setUpNetwork(Number(new URL(plane.server).port), cgroup);
    const inCgroup = (command: string, args: string[]) => [
      '-c', 'echo $$ > "$1" && shift && exec "$@"', 'in-cgroup', `/sys/fs/cgroup/unified/${cgroup}/cgroup.procs`, command, ...args,
    ];

    const socket = join(dir, 'containerd', 'containerd.sock');
    const noProxy = `localhost,127.0.0.1,${NODE_IP},${POD_CIDR}`;
    const containerd = spawnManaged('containerd', 'bash', inCgroup('containerd', ['--config', join(dir, 'containerd', 'config.toml')]), {
      dir,
      // After childEnv, which strips every proxy variable: these must survive.
      env: {
        ...childEnv(),
        HTTP_PROXY: DEAD_PROXY, HTTPS_PROXY: DEAD_PROXY, http_proxy: DEAD_PROXY, https_proxy: DEAD_PROXY,
        NO_PROXY: noProxy, no_proxy: noProxy,
      },
    });
    started.push(containerd);
    const ctr = async (args: string[]) =>
      (await run('ctr', ['--address', socket, '--namespace', 'k8s.io', ...args], { maxBuffer: 16 << 20 })).stdout;
    await waitFor('containerd to answer', async () => ((await ctr(['version'])).includes('Server') ? true : undefined), {
      alive: containerd,
      timeoutMs: 30_000,
    });
    const importImage = async (archive: string) => {
      const names = await imageNamesOf(archive);
      try {
        await ctr(['images', 'import', '--snapshotter', 'overlayfs', archive]);
      } catch (err) {
        throw new Error(`ctr images import ${archive} failed: ${(err as { stderr?: string }).stderr ?? String(err)}`, { cause: err });
      }
      // What the CRI (and so a Pod's `image:`) will find: every name the index gives must now be listed.
      const listed = new Set((await ctr(['images', 'ls', '-q'])).split('\n'));
      const missing = names.filter((n) => !listed.has(n));
      if (missing.length > 0) {
        throw new Error(`${archive} imported, but not as ${missing.join(', ')} (containerd lists: ${[...listed].join(' ')})`);
      }
    };
    await importImage(pause.archive);

    const pki = await makeNodePki(plane.dir, name, NODE_IP);
    const kubeconfig = join(dir, 'kubelet.kubeconfig');
    writeFileSync(kubeconfig, kubeletKubeconfig(plane.server, plane.pki.caCert, pki.kubeletClientCert, pki.kubeletClientKey), { mode: 0o600 });
    writeFileSync(join(dir, 'kubelet.json'), kubeletConfig(dir, pki, plane.pki.caCert, socket));
    const kubelet = spawnManaged('kubelet', 'bash', inCgroup(kubeletBinary, [
      `--config=${join(dir, 'kubelet.json')}`,
      `--kubeconfig=${kubeconfig}`,
      `--root-dir=${join(dir, 'kubelet')}`,
      `--hostname-override=${name}`,
      `--node-ip=${NODE_IP}`,
      '--v=1',
    ]), { dir });
    started.push(kubelet);

    const ready = '{.status.conditions[?(@.type=="Ready")].status}';
    await waitFor(`Node ${name} Ready`, async () => {
      const r = await plane.kubectl(['get', 'node', name, '-o', `jsonpath=${ready}`]);
      return r.code === 0 && r.stdout === 'True' ? true : undefined;
    }, { alive: kubelet, timeoutMs: options.readyTimeoutMs ?? 90_000, intervalMs: 250 });

    let stopped = false;
    return {
      name,
      ip: NODE_IP,
      dir,
      kubelet,
      containerd,
      cgroup,
      containerdSocket: socket,
      ctr,
      importImage,
      async stop() {
        if (stopped) return;
        stopped = true;
        // Pods first, while kubelet and the API server are up: the kubelet stops them (CNI DEL, unmounts) itself.
        if (plane.apiserver.isRunning()) {
          await plane.kubectl(['delete', 'pods', '--all', '--all-namespaces', '--grace-period=1', '--timeout=30s']);
        }
        await teardown();
      },
    };
  } catch (err) {
    await teardown();
    throw err;
  }
}

