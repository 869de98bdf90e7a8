// protect-flink-deployment: the front door. A FlinkDeployment or FlinkSessionJob write is judged by what the
// operator does next, as an HA owner no ConfigMap guard can stop: deleting the CR makes it delete the HA state
// (ApplicationReconciler/SessionReconciler.cleanupInternal, FlinkUtils.deleteKubernetesHAMetadata), and so do a
// stateless suspend and a switch to stateless upgrades. Refused while HA state exists, unless it was released.
import { stringMap } from '../../flink/ha-configmap.ts';
import { isRecord } from '../../flink/workload.ts';
import type { KubeObject } from '../../kube/objects.ts';
import { describeRequester, mayRelease, proveOwnership } from '../requester.ts';
import { finding, type Rule, type Target } from '../target.ts';
import type { Finding } from '../types.ts';
import { releaseReason } from '../release.ts';

const NAMESPACE_CONTROLLER = 'system:serviceaccount:kube-system:namespace-controller';
const JOB_ID = /^[0-9a-f]{32}$/;

export const protectFlinkDeployment: Rule = {
  id: 'protect-flink-deployment',
  title: 'FlinkDeployments and FlinkSessionJobs holding HA state are not deleted or made stateless',
  help: `Release the HA state first (annotate the FlinkDeployment or FlinkSessionJob flink-ha.io/release=<reason>; owners or cluster admins), or keep the job's state in a savepoint before deleting.`,
  why: 'The operator deletes the HA ConfigMaps (the latest checkpoint pointers) when a FlinkDeployment is deleted, or suspended or upgraded statelessly, and a FlinkSessionJob delete cancels its job, whose JobManager then drops them.',
  validate: async (t) => {
    if (!isFrontDoorKind(t)) return [];
    const op = t.request.operation;
    if (op === 'DELETE') return judgeDelete(t);
    // Created already released, a CR named after another cluster's cluster-id could be deleted at will later.
    if (op === 'CREATE') return [await markChange(t)].filter((f): f is Finding => f !== undefined);
    if (op !== 'UPDATE') return [];
    const mark = await markChange(t);
    if (mark?.action === 'denied') return [mark];
    const transition = await judgeTransition(t);
    return mark ? [mark, ...transition] : transition;
  },
};

/**
 * FlinkDeployments and FlinkSessionJobs, including those classified as the operator's (canaries, blue/green
 * children): the labels and owners that make them so are written by whoever edits the CR. A
 * FlinkBlueGreenDeployment holds no HA state itself: its children do, and their deletes (the garbage collector's
 * too) come here.
 */
function isFrontDoorKind(t: Target): boolean {
  const obj = t.old ?? t.draft;
  if (!obj || !(typeof obj.apiVersion === 'string' && obj.apiVersion.startsWith('flink.apache.org/'))) return false;
  if (obj.kind !== 'FlinkDeployment' && obj.kind !== 'FlinkSessionJob') return false;
  return t.classified.shape === 'flinkdeployment' || t.classified.shape === 'flink-session-job' || t.classified.shape === 'left-alone';
}

const isSessionJob = (t: Target): boolean => (t.old ?? t.draft)?.kind === 'FlinkSessionJob';

/** The release annotation's value, when it releases (see release.ts). */
function releaseOf(obj: KubeObject | null, t: Target): string | undefined {
  return releaseReason(stringMap(obj?.metadata?.annotations)[t.config.releaseAnnotation]);
}

function kindName(t: Target): string {
  const obj = t.old ?? t.draft;
  return `${obj?.kind ?? 'FlinkDeployment'} ${t.namespace}/${obj?.metadata?.name ?? '?'}`;
}

/** Setting, changing or removing the release mark is decided as on HA ConfigMaps: owners or cluster admins. */
async function markChange(t: Target): Promise<Finding | undefined> {
  const key = t.config.releaseAnnotation;
  const before = stringMap(t.old?.metadata?.annotations)[key];
  const after = stringMap(t.draft?.metadata?.annotations)[key];
  if (before === after) return undefined;
  const change = before === undefined ? `set ${key}=${after}` : after === undefined ? `removed ${key}` : `changed ${key} to ${after}`;
  if (await mayRelease(t.request.requester, t.namespace, t.config, t.cluster)) {
    return finding('protect-flink-deployment', 'passed', `${describeRequester(t.request.requester)} ${change} on ${kindName(t)}`);
  }
  return finding('protect-flink-deployment', 'denied',
    `${describeRequester(t.request.requester)} may not set, change or remove ${key} on ${kindName(t)} (${change}): the release lets its deletion take the HA state (the latest checkpoint pointers) with it`,
    `ask an owner (the Flink or operator ServiceAccount), a configured allowedPrincipal or a cluster admin to set ${key}=<reason>`);
}

async function judgeDelete(t: Target): Promise<Finding[]> {
  const subject = kindName(t);
  const released = releaseOf(t.old, t);
  if (released) return [finding('protect-flink-deployment', 'passed', `${subject} was released (${t.config.releaseAnnotation}=${released}); deletion allowed`)];
  if ((await proveOwnership(t)).owner) {
    return [finding('protect-flink-deployment', 'passed', `${describeRequester(t.request.requester)} owns the HA state of namespace ${t.namespace} and may delete ${subject}`)];
  }
  if (t.request.requester.username === NAMESPACE_CONTROLLER) {
    const ns = stringMap((await t.cluster.namespaceMeta(t.namespace))?.annotations)[t.config.releaseAnnotation];
    if (releaseReason(ns) !== undefined) {
      return [finding('protect-flink-deployment', 'passed', `namespace ${t.namespace} was released (${ns}); the namespace controller may delete ${subject}`)];
    }
  }
  const state = await haStateOf(t, t.old);
  if (state.kind === 'none') return [finding('protect-flink-deployment', 'passed', `${subject}: ${state.why}`)];
  const fix = deleteFix(t);
  if (state.kind === 'unknown') {
    return [finding('protect-flink-deployment', 'denied', `could not check whether ${subject} holds HA state (${state.why}); refusing a deletion after which the operator deletes it`, fix)];
  }
  return [finding('protect-flink-deployment', 'denied',
    `${describeRequester(t.request.requester)} may not delete ${subject}: ${state.why}, and ${isSessionJob(t)
      ? 'the operator cancels the job on deletion, after which its JobManager deletes that ConfigMap'
      : 'the operator deletes them on deletion (FlinkUtils.deleteKubernetesHAMetadata, by the app/type labels), whatever upgradeMode says'}: the job's latest checkpoint pointer is lost`, fix)];
}

function deleteFix(t: Target): string {
  const obj = t.old;
  const kind = (obj?.kind ?? 'FlinkDeployment').toLowerCase();
  const name = obj?.metadata?.name ?? '<name>';
  return `no operator setting keeps the HA state through a deletion (kubernetes.operator.job.savepoint-on-deletion takes a savepoint of a running job, but the HA ConfigMaps go all the same). To keep the job's state, take a savepoint first (spec.job.savepointTriggerNonce, or upgradeMode: savepoint with job.state: suspended) and note its path from status.jobStatus; to keep the HA ConfigMaps, suspend with upgradeMode: last-state and keep the ${obj?.kind ?? 'FlinkDeployment'}. Then, if the state is truly unwanted, an owner or a cluster admin releases it: kubectl annotate -n ${t.namespace} ${kind} ${name} ${t.config.releaseAnnotation}=<reason>, and deletes it`;
}

type HaState = { kind: 'none' | 'unknown' | 'held'; why: string };

/** The HA state the operator's next step would take: a cluster's HA ConfigMaps, or a session job's job ConfigMap. */
async function haStateOf(t: Target, obj: KubeObject | null): Promise<HaState> {
  const name = obj?.metadata?.name ?? '';
  if (!t.cluster.haConfigMapsOf) return { kind: 'unknown', why: 'the webhook cannot list HA ConfigMaps here' };
  if (!isSessionJob(t)) {
    const cms = await t.cluster.haConfigMapsOf(t.namespace, name);
    if (cms === undefined) return { kind: 'unknown', why: `the HA ConfigMaps of cluster-id ${name} could not be listed` };
    if (cms.length === 0) return { kind: 'none', why: `cluster-id ${name} has no HA ConfigMaps` };
    return { kind: 'held', why: `cluster-id ${name} holds ${cms.length} HA ConfigMap(s) (${namesOf(cms)})` };
  }
  const spec = isRecord(obj?.spec) ? obj.spec : {};
  const session = typeof spec.deploymentName === 'string' ? spec.deploymentName : '';
  const status = isRecord(obj?.status) ? obj.status : {};
  const jobId = isRecord(status.jobStatus) ? status.jobStatus.jobId : undefined;
  // Status is a subresource only the operator writes: no job id there means it never submitted this job.
  if (jobId === undefined || jobId === null || jobId === '') return { kind: 'none', why: 'status.jobStatus.jobId is empty: the operator never submitted its job, so it holds no HA state' };
  if (typeof jobId !== 'string' || !JOB_ID.test(jobId)) return { kind: 'unknown', why: `status.jobStatus.jobId ${JSON.stringify(jobId)} is no Flink job id` };
  const cms = await t.cluster.haConfigMapsOf(t.namespace, session);
  if (cms === undefined) return { kind: 'unknown', why: `the HA ConfigMaps of session cluster ${session} could not be listed` };
  // Flink names a job's HA ConfigMap <cluster-id>-<job-id>-config-map (1.15+; -jobmanager-leader before).
  const mine = cms.filter((cm) => cm.metadata?.name === `${session}-${jobId}-config-map` || cm.metadata?.name === `${session}-${jobId}-jobmanager-leader`);
  if (mine.length === 0) return { kind: 'none', why: `job ${jobId} has no HA ConfigMap in session cluster ${session}` };
  return { kind: 'held', why: `job ${jobId} holds HA ConfigMap ${namesOf(mine)} in session cluster ${session}` };
}

function namesOf(cms: KubeObject[]): string {
  const names = cms.map((cm) => cm.metadata?.name ?? '?');
  return names.length > 3 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', ');
}

/**
 * UPDATEs after which the operator deletes the HA state of a running job (AbstractJobReconciler: the new spec's
 * upgradeMode picks the suspend mode; SuspendMode.STATELESS deletes HA metadata): a stateless suspend, and a
 * switch from last-state/savepoint to stateless (this and every later upgrade then runs stateless).
 */
async function judgeTransition(t: Target): Promise<Finding[]> {
  const before = jobOf(t.old);
  const after = jobOf(t.draft);
  if (!before || !after || before.state !== 'running') return [];
  const suspendStateless = after.state === 'suspended' && after.upgradeMode === 'stateless';
  const toStateless = after.upgradeMode === 'stateless' && before.upgradeMode !== 'stateless';
  if (!suspendStateless && !toStateless) return [];
  const what = suspendStateless ? 'suspends the running job with upgradeMode: stateless' : `switches the running job from upgradeMode: ${before.upgradeMode} to stateless`;
  const subject = kindName(t);
  const released = releaseOf(t.draft, t);
  if (released) return [finding('protect-flink-deployment', 'passed', `${subject} ${what}; its HA state was released (${released})`)];
  const state = await haStateOf(t, t.old);
  if (state.kind === 'none') return [finding('protect-flink-deployment', 'passed', `${subject} ${what}; ${state.why}`)];
  const fix = `keep upgradeMode: ${before.upgradeMode === 'stateless' ? 'last-state (or savepoint)' : before.upgradeMode} to ${suspendStateless ? 'suspend' : 'upgrade'} with the job's state, or, if the state is truly unwanted, have an owner or a cluster admin annotate it ${t.config.releaseAnnotation}=<reason> first`;
  if (state.kind === 'unknown') return [finding('protect-flink-deployment', 'denied', `${subject} ${what}, and whether it holds HA state could not be checked (${state.why})`, fix)];
  return [finding('protect-flink-deployment', 'denied',
    `${subject} ${what}: ${state.why}, and the operator ${suspendStateless ? 'cancels the job statelessly and deletes them' : 'deletes them on the next upgrade (a stateless one)'}, so the job restarts from empty state`, fix)];
}

function jobOf(obj: KubeObject | null): { state: string; upgradeMode: string } | undefined {
  const job = isRecord(obj?.spec) && isRecord(obj.spec.job) ? obj.spec.job : undefined;
  if (!job) return undefined;
  return {
    state: typeof job.state === 'string' ? job.state : 'running',
    upgradeMode: typeof job.upgradeMode === 'string' ? job.upgradeMode : 'stateless',
  };
}
