// One line per rule id, for the reports that describe rules apart from findings (SARIF's rule list, JUnit test
// names, PolicyReport categories). Findings carry their own message and fix; these are the rule-level texts.
import type { AuditRuleId } from './types.ts';
import { RULE_CATALOGUE } from '../policy/rules/index.ts';

type RuleCatalogueId = (typeof RULE_CATALOGUE)[number]['id'];

export interface RuleInfo {
  title: string;
  /** What to do, in general; a finding's own `fix` is more specific. */
  help: string;
  /** `policy`: judged per object by the webhook's policy; `cluster`: only a whole cluster shows it. */
  scope: 'policy' | 'cluster';
}

export const RULES: Record<AuditRuleId, RuleInfo> = {
  // The policy's rules describe themselves (src/policy/rules/); only the whole-cluster checks are the audit's own.
  ...(Object.fromEntries(RULE_CATALOGUE.map(({ id, title, help }) => [id, { title, help, scope: 'policy' }])) as Record<RuleCatalogueId, RuleInfo>),
  'orphaned-ha-state': {
    title: 'HA state belongs to a running Flink cluster',
    help: 'Delete the HA ConfigMaps of a cluster that is gone for good, or start the cluster again to resume its jobs.',
    scope: 'cluster',
  },
  'standby-without-ha-state': {
    title: 'Clusters with standby JobManagers keep HA state',
    help: 'Standby JobManagers without Kubernetes HA never take over: enable HA, or run a single JobManager.',
    scope: 'cluster',
  },
  'webhook-coverage': {
    title: 'The webhook guards every namespace with HA state',
    help: 'Install the flink-ha-webhook configurations and make their namespaceSelector match the namespace.',
    scope: 'cluster',
  },
  'rbac-impersonates-pod-extras': {
    title: 'Nobody may pass for a pod-bound Flink or operator token',
    help: 'Take impersonate on userextras (authentication.kubernetes.io/*) away from every principal that may also impersonate ServiceAccounts.',
    scope: 'cluster',
  },
  'audit-permission': {
    title: 'The audit could read what it needs',
    help: 'Grant the audit the read rights of manifests/audit-reader-clusterrole.yaml.',
    scope: 'cluster',
  },
};
