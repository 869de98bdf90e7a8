// The minimal shape every Kubernetes object has. Rules narrow it to client-node's V1Pod, V1Deployment, ... once
// they have recognised the kind; until then an object is untrusted data and is read defensively.
import type { V1ObjectMeta } from '@kubernetes/client-node';

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: V1ObjectMeta;
  [field: string]: unknown;
}

export function isKubeObject(value: unknown): value is KubeObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `group/version` → group; core objects (`v1`) have the empty group. */
export function groupOf(apiVersion: string | undefined): string {
  if (!apiVersion) return '';
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

export function describeObject(obj: KubeObject | null | undefined): string {
  if (!obj) return '(no object)';
  const ns = obj.metadata?.namespace;
  return `${obj.kind ?? '?'} ${ns ? `${ns}/` : ''}${obj.metadata?.name ?? obj.metadata?.generateName ?? '(unnamed)'}`;
}

/** metadata.ownerReferences as sent: untrusted, so a non-list reads as none (and the guards see it as a change). */
export function ownerReferencesOf(obj: KubeObject | null | undefined): unknown[] {
  const refs: unknown = obj?.metadata?.ownerReferences;
  return Array.isArray(refs) ? refs : [];
}
