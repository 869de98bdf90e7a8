// The rule catalogue, in the order the rules run: cluster-id before ha-storage-dir (the template may use it).
import type { Rule } from '../target.ts';
import { haEnabled } from './ha-enabled.ts';
import { clusterId } from './cluster-id.ts';
import { haNamespace } from './ha-namespace.ts';
import { haStorageDir } from './ha-storage-dir.ts';
import { standbyJobManagers } from './standby-jobmanagers.ts';
import { podIpAddress } from './pod-ip-address.ts';
import { haServiceAccount } from './ha-service-account.ts';
import { noHaDataStrip, noOwnerReference, protectHaConfigMap, protectNamespace } from './ha-configmap-guards.ts';

export const RULES: readonly Rule[] = [
  haEnabled,
  clusterId,
  haNamespace,
  haStorageDir,
  standbyJobManagers,
  podIpAddress,
  haServiceAccount,
  protectHaConfigMap,
  noOwnerReference,
  noHaDataStrip,
  protectNamespace,
];

/** Id, title and why of every rule, plus policy-error: for reports (SARIF rules, JUnit, tables). */
export const RULE_CATALOGUE: ReadonlyArray<{ id: string; title: string; why: string }> = [
  ...RULES.map(({ id, title, why }) => ({ id, title, why })),
  { id: 'policy-error', title: 'The policy could read the object', why: 'An object the policy cannot read cannot be made HA-safe; destructive requests on it are refused.' },
];
