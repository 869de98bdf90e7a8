// checkpoint-dir: a FlinkDeployment whose job upgrades with `last-state` or `savepoint` gets the checkpoint (and,
// for `savepoint`, the savepoint) directory the operator's DefaultValidator requires, from a configured template,
// or is denied with the fix: never admitted in a shape the operator then refuses to run.
import { CHECKPOINT_DIR_KEYS, SAVEPOINT_DIR_KEYS, checkpointDirKey } from '../../flink/version.ts';
import { flinkSpecOf, isRecord } from '../../flink/workload.ts';
import { finding, type Rule, type Target } from '../target.ts';
import type { Finding } from '../types.ts';

export const checkpointDir: Rule = {
  id: 'checkpoint-dir',
  title: 'Stateful upgrade modes have their checkpoint and savepoint directories',
  help: 'Set execution.checkpointing.dir (Flink 1.20+; state.checkpoints.dir before) for last-state and savepoint upgrade modes, and the savepoint directory for savepoint mode, or configure checkpointDirTemplate / savepointDirTemplate.',
  why: 'The operator refuses to run a last-state or savepoint job without a checkpoint directory (and a savepoint job without a savepoint directory): the FlinkDeployment is admitted and then fails.',
  mutate: (t) => {
    const f = t.flink;
    const fd = t.draft ? flinkSpecOf(t.draft, t.classified) : undefined;
    if (!f || !fd || !isRecord(fd.spec.job)) return [];
    const mode = typeof fd.spec.job.upgradeMode === 'string' ? fd.spec.job.upgradeMode : 'stateless';
    if (mode !== 'last-state' && mode !== 'savepoint') return [];
    const out = [ensureDir(t, 'checkpoint', mode)];
    if (mode === 'savepoint') out.push(ensureDir(t, 'savepoint', mode));
    return out;
  },
};

function ensureDir(t: Target, which: 'checkpoint' | 'savepoint', mode: string): Finding {
  const f = t.flink!;
  for (const key of which === 'checkpoint' ? CHECKPOINT_DIR_KEYS : SAVEPOINT_DIR_KEYS) {
    const value = f.carrier.get(key);
    if (value !== undefined && value.trim() !== '') return finding('checkpoint-dir', 'passed', `${key}: ${value}`);
  }
  const key = checkpointDirKey(f.version, which);
  const template = which === 'checkpoint' ? t.config.checkpointDirTemplate : t.config.savepointDirTemplate;
  const templateKey = `${which}DirTemplate`;
  if (!template) {
    return finding('checkpoint-dir', 'denied',
      `upgradeMode: ${mode} needs ${key}, which is not set, and no ${templateKey} is configured: the operator would refuse to run this FlinkDeployment (its validator: "${which === 'checkpoint' ? 'Checkpoint directory' : 'savepoint'} ... must be defined"), after it was admitted`,
      `set ${key} to a shared file system path (s3://, gs://, hdfs://, abfs://...) in ${f.carrier.where}, or configure ${templateKey} in the webhook (if the operator's default configuration sets it for every deployment, configure the same template here), or use upgradeMode: stateless`);
  }
  const clusterId = t.draft?.metadata?.name ?? '';
  const value = template.replaceAll('{namespace}', t.namespace).replaceAll('{clusterId}', clusterId);
  f.carrier.set(key, value);
  return finding('checkpoint-dir', 'mutated', `set ${key}: ${value} in ${f.carrier.where} (from ${templateKey}; upgradeMode: ${mode} needs it)`);
}
