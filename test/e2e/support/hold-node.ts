// Starts a control plane and a real node with one running Pod, prints what runs as one JSON line and waits to be
// killed: node.test.ts kills this process outright (SIGKILL, no exit hooks) and checks what is left.
import { startControlPlane } from '../harness/index.ts';
import { localImages, startNode } from '../harness/node.ts';

const plane = await startControlPlane({ node: true, crds: false });
const node = await startNode(plane);
const { busybox } = await localImages();
await node.importImage(busybox.archive);
// What the controller-manager would make (none runs here): without it the ServiceAccount plugin rejects the Pod.
await plane.kubectl(['create', 'serviceaccount', 'default']);
await plane.kubectlOk(['apply', '-f', '-'], {
  input: JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'held', namespace: 'default' },
    spec: {
      nodeName: node.name,
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'main', image: busybox.name, imagePullPolicy: 'Never', command: ['sleep', '3600'] }],
    },
  }),
});
for (;;) {
  const phase = await plane.kubectlOk(['get', 'pod', 'held', '-o', 'jsonpath={.status.phase}']);
  if (phase === 'Running') break;
  await new Promise((resolve) => setTimeout(resolve, 200));
}
const shims = await node.ctr(['tasks', 'ls', '-q']);
console.log(JSON.stringify({
  pids: [plane.etcd.pid, plane.apiserver.pid, node.kubelet.pid, node.containerd.pid],
  tasks: shims.trim().split('\n').length,
  dir: node.dir,
  planeDir: plane.dir,
}));
setInterval(() => undefined, 60_000);
