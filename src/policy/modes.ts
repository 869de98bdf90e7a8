// Which mode applies to a request (enforce, warn, audit) and whether an exemption applies. Exemptions leave a
// trail: they need a label, and the reason annotation is echoed in every finding.
import type { Target } from './target.ts';
import type { Mode } from './types.ts';

export interface Exemption {
  reason: string;
  /** From an exempt label (the object's or the namespace's), which namespace users can set: guards ignore it. */
  byLabel?: boolean;
}

const MODES = new Set<Mode>(['enforce', 'warn', 'audit']);

export async function resolveMode(t: Target): Promise<{ mode: Mode; exemption?: Exemption }> {
  const { config } = t;
  if (config.excludedNamespaces.includes(t.namespace)) {
    return { mode: 'audit', exemption: { reason: `namespace ${t.namespace} is excluded in the webhook config` } };
  }
  // The HA guards answer to the webhook's own config only: a label that anyone with namespace rights can set must
  // not switch off what protects the namespace's HA state. Their way out is the guarded release annotation.
  const guarded = t.classified.shape === 'ha-configmap' || t.classified.shape === 'namespace';
  if (guarded) return { mode: config.guardMode };
  const obj = t.draft ?? t.old;
  if (!guarded && obj?.metadata?.labels?.[config.exemptLabel] === 'true') {
    return { mode: 'enforce', exemption: { reason: `label ${config.exemptLabel} on the object: ${reasonOf(obj.metadata.annotations?.[config.exemptReasonAnnotation])}`, byLabel: true } };
  }
  const meta = t.classified.shape === 'namespace' ? undefined : await t.cluster.namespaceMeta(t.namespace);
  if (meta?.labels[config.exemptLabel] === 'true') {
    return { mode: 'enforce', exemption: { reason: `label ${config.exemptLabel} on namespace ${t.namespace}: ${reasonOf(meta.annotations[config.exemptReasonAnnotation])}`, byLabel: true } };
  }
  const label = meta?.labels[config.modeLabel] as Mode | undefined;
  if (label && MODES.has(label)) return { mode: label };
  return { mode: config.namespaceModes[t.namespace] ?? config.mode };
}

function reasonOf(annotation: string | undefined): string {
  return annotation && annotation.trim() !== '' ? annotation.trim() : 'no reason given';
}
