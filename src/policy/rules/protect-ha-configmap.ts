// protect-ha-configmap: an HA ConfigMap is deleted only by its owners, or after someone allowed to released it;
// the release and exempt marks that open that door are themselves set only by owners or cluster admins.
import { releaseMarkOf } from '../ha-owned-fields.ts';
import { isClusterAdmin } from '../requester.ts';
import { finding, type Rule, type Target } from '../target.ts';
import { describeChanges, haGuardContext, notOwnerClause } from './ha-guard-context.ts';
import { releaseReason } from '../release.ts';

const GC = 'system:serviceaccount:kube-system:generic-garbage-collector';
const NAMESPACE_CONTROLLER = 'system:serviceaccount:kube-system:namespace-controller';

export const protectHaConfigMap: Rule = {
  id: 'protect-ha-configmap',
  title: 'HA ConfigMaps are deleted only by their owners',
  help: 'Let Flink or the operator delete HA state, or annotate the ConfigMap as released first (owners or cluster admins).',
  why: 'Deleting an HA ConfigMap drops the job graphs and checkpoint pointers: the restarted cluster cannot recover its jobs from the latest checkpoint.',
  validate: async (t) => {
    const ctx = await haGuardContext(t);
    if (!ctx) return [];
    if (t.request.operation !== 'DELETE') {
      const marks = ctx.changes.filter((c) => c.rule === 'protect-ha-configmap');
      if (marks.length === 0 || ctx.ownership.owner || isClusterAdmin(t.request.requester)) return []; // mayRelease, proven once
      return [finding('protect-ha-configmap', 'denied',
        `${ctx.who} may not set or change the release/exempt marks of ${ctx.subject} (${describeChanges(marks)})${notOwnerClause(ctx)}: a release lets anyone delete the HA state`,
        `ask an owner (the Flink or operator ServiceAccount), a configured allowedPrincipal or a cluster admin to set ${t.config.releaseAnnotation}`)];
    }
    if (ctx.ownership.owner) return [finding('protect-ha-configmap', 'passed', `${ctx.who} (${ctx.ownership.role}) owns ${ctx.subject} and may delete it`)];
    const mark = releaseMarkOf(t.old, t.config);
    if (mark) return [finding('protect-ha-configmap', 'passed', `${ctx.subject} was released (${mark}); deletion allowed`)];
    if (t.request.requester.username === NAMESPACE_CONTROLLER && (await namespaceReleased(t))) {
      return [finding('protect-ha-configmap', 'passed', `namespace ${t.namespace} was released; the namespace controller may delete ${ctx.subject}`)];
    }
    const why = t.request.requester.username === GC
      ? 'the garbage collector is deleting it, so something gave it an ownerReference'
      : 'deleting it loses the job graphs and checkpoint pointers the cluster recovers from';
    return [finding('protect-ha-configmap', 'denied', `${ctx.who} may not delete ${ctx.subject}${notOwnerClause(ctx)}: ${why}`,
      `stop or delete the Flink cluster through its owner (FlinkDeployment, or the Flink cluster's own shutdown), or, if the state is truly unwanted, annotate the ConfigMap ${t.config.releaseAnnotation}=<reason> first (owners, allowedPrincipals or cluster admins)`)];
  },
};

async function namespaceReleased(t: Target): Promise<boolean> {
  const released = (await t.cluster.namespaceMeta(t.namespace))?.annotations[t.config.releaseAnnotation];
  return releaseReason(released) !== undefined;
}
