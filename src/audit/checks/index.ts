// The whole-cluster checks: what only the set of objects shows, never one object alone. Each is a pure function of
// the inventory; those that need a live cluster (orphans, rights, coverage) stay silent on a folder of manifests.
import type { WebhookConfig } from '../../config/types.ts';
import type { Inventory } from '../inventory.ts';
import type { AuditFinding } from '../types.ts';
import { haConfigMapsWithOwners } from './owner-references.ts';
import { sharedClusterIds } from './shared-cluster-ids.ts';
import { orphanedHaState } from './orphaned-ha-state.ts';
import { standbyWithoutHaState } from './standby-without-ha-state.ts';
import { serviceAccountRights } from './service-account-rights.ts';
import { webhookCoverage } from './webhook-coverage.ts';
import { podExtraImpersonatorsCheck } from './pod-extra-impersonators.ts';

export function runClusterChecks(inv: Inventory, config: WebhookConfig): AuditFinding[] {
  return [
    ...haConfigMapsWithOwners(inv),
    ...sharedClusterIds(inv),
    ...orphanedHaState(inv),
    ...standbyWithoutHaState(inv),
    ...serviceAccountRights(inv),
    ...webhookCoverage(inv, config),
    ...podExtraImpersonatorsCheck(inv),
  ];
}
