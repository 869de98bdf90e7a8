// pod-ip-address: in standalone HA each JobManager advertises its own pod IP (env POD_IP from status.podIP, and
// the `jobmanager $(POD_IP)` / `standalone-job --host $(POD_IP)` args). A shared Service name as the address makes
// standbys unreachable as leaders.
import type { V1Container, V1EnvVar } from '@kubernetes/client-node';
import { finding, isWorkload, type Rule } from '../target.ts';
import type { Finding } from '../types.ts';

const POD_IP = 'POD_IP';

export const podIpAddress: Rule = {
  id: 'pod-ip-address',
  title: 'Standalone JobManagers advertise their pod IP',
  help: 'Add env POD_IP from status.podIP and pass $(POD_IP) as the JobManager host argument.',
  why: 'With HA, Flink publishes the leader\'s address in the HA ConfigMap; a Service name there points every TaskManager at whichever JobManager the Service picks.',
  mutate: (t) => {
    if (!isWorkload(t)) return [];
    const c = t.classified;
    if (c.role !== 'jobmanager' || c.mode !== 'standalone') return [];
    if (c.controller === 'Pod' && t.request.operation !== 'CREATE') return []; // a Pod's spec is immutable
    const container = c.container;
    const args = container.args ?? [];
    const entry = args[0];
    if (entry !== 'jobmanager' && entry !== 'standalone-job') {
      return [finding('pod-ip-address', 'denied',
        `JobManager container ${container.name} has no 'jobmanager' or 'standalone-job' args, so it cannot be told to advertise its pod IP`,
        'set args: ["jobmanager", "$(POD_IP)"] (session) or ["standalone-job", "--host", "$(POD_IP)", ...] (application)')];
    }
    const out: Finding[] = [];
    const ipVar = podIpEnvName(container) ?? addPodIpEnv(container, out);
    const ref = `$(${ipVar})`;
    if (entry === 'jobmanager') {
      const host = args[1];
      if (host === undefined || host.startsWith('-')) {
        container.args = [entry, ref, ...args.slice(1)];
        out.push(finding('pod-ip-address', 'mutated', `set the JobManager host arg to ${ref} (args: jobmanager ${ref} ...)`));
      } else if (host !== ref && !isPodIpRef(container, host)) {
        return [finding('pod-ip-address', 'denied', `JobManager advertises '${host}', not its pod IP; standby JobManagers could never be reached as leaders`, `set args to ["jobmanager", "${ref}"]`)];
      }
    } else {
      const at = args.findIndex((a) => a === '--host' || a === '-h');
      if (at < 0) {
        container.args = [entry, '--host', ref, ...args.slice(1)];
        out.push(finding('pod-ip-address', 'mutated', `added --host ${ref} to the standalone-job args`));
      } else if (args[at + 1] !== ref && !isPodIpRef(container, args[at + 1])) {
        return [finding('pod-ip-address', 'denied', `JobManager advertises '${args[at + 1] ?? ''}' (--host), not its pod IP`, `set --host ${ref}`)];
      }
    }
    return out.length > 0 ? out : [finding('pod-ip-address', 'passed', `JobManager advertises its pod IP (${ref})`)];
  },
};

function podIpEnvName(container: V1Container): string | undefined {
  return container.env?.find((e) => e.valueFrom?.fieldRef?.fieldPath === 'status.podIP')?.name;
}

function isPodIpRef(container: V1Container, arg: string | undefined): boolean {
  const m = arg ? /^\$\(([A-Za-z_][A-Za-z0-9_]*)\)$/.exec(arg) : null;
  return m !== null && container.env?.some((e) => e.name === m[1] && e.valueFrom?.fieldRef?.fieldPath === 'status.podIP') === true;
}

function addPodIpEnv(container: V1Container, out: Finding[]): string {
  const env: V1EnvVar = { name: POD_IP, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } };
  // A POD_IP with another meaning must not be overwritten; use a name of our own then.
  const name = container.env?.some((e) => e.name === POD_IP) ? 'FLINK_HA_POD_IP' : POD_IP;
  container.env = [...(container.env ?? []), { ...env, name }];
  out.push(finding('pod-ip-address', 'mutated', `added env ${name} from status.podIP to container ${container.name}`));
  return name;
}
