// The rule catalogue, in the order the rules run: cluster-id before ha-storage-dir (the template may use it).
import type { Rule } from '../target.ts';
import { haEnabled } from './ha-enabled.ts';
import { clusterId } from './cluster-id.ts';
import { haNamespace } from './ha-namespace.ts';
import { haStorageDir } from './ha-storage-dir.ts';
import { standbyJobManagers } from './standby-jobmanagers.ts';
import { podIpAddress } from './pod-ip-address.ts';
import { haServiceAccount } from './ha-service-account.ts';
import { protectHaConfigMap } from './protect-ha-configmap.ts';
import { noOwnerReference } from './no-owner-reference.ts';
import { noHaDataStrip } from './no-ha-data-strip.ts';
import { protectNamespace } from './protect-namespace.ts';
import { protectFlinkDeployment } from './protect-flink-deployment.ts';
import { checkpointDir } from './checkpoint-dir.ts';

export const RULES: readonly Rule[] = [
  haEnabled,
  clusterId,
  haNamespace,
  haStorageDir,
  checkpointDir,
  standbyJobManagers,
  podIpAddress,
  haServiceAccount,
  protectHaConfigMap,
  noOwnerReference,
  noHaDataStrip,
  protectNamespace,
  protectFlinkDeployment,
];

/** Title and help of every rule, plus policy-error: for reports that describe rules apart from findings. */
export const RULE_CATALOGUE: ReadonlyArray<{ id: Rule['id']; title: string; help: string }> = [
  ...RULES.map(({ id, title, help }) => ({ id, title, help })),
  { id: 'policy-error', title: 'The policy could not judge the object', help: 'Fix the object so that it parses (the message names the field), or report a bug.' },
  { id: 'flink-ha-exception', title: 'Exemptions are FlinkHAExceptions in force, where exceptions count', help: 'Renew or delete an expired exception, move a misplaced one to an exception namespace, correct a malformed one (docs/exceptions.md).' },
  { id: 'legacy-exempt-label', title: 'No object relies on the retired exempt label', help: 'Replace the flink-ha.io/exempt label by a FlinkHAException with a ticket and an expiry, then remove the label (docs/exceptions.md).' },
];
