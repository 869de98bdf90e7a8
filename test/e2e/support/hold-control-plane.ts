// Starts a control plane, prints {pids, dir} as one JSON line and waits to be killed: the teardown test kills
// this process outright (SIGKILL, no exit hooks) and checks that the watchdog leaves nothing behind.
import { startControlPlane } from '../harness/index.ts';

const plane = await startControlPlane({ crds: false });
console.log(JSON.stringify({ pids: [plane.etcd.pid, plane.apiserver.pid, plane.controllerManager.pid, plane.scheduler.pid], dir: plane.dir }));
setInterval(() => undefined, 60_000);
