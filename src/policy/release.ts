// The one reading of the release annotation (`flink-ha.io/release=<reason>`) on HA ConfigMaps, namespaces and
// Flink CRs: a release must say why, so an empty or blank value, or "false" in any case, releases nothing.

/** The release reason an annotation value gives, or undefined when it releases nothing. */
export function releaseReason(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const reason = value.trim();
  return reason === '' || reason.toLowerCase() === 'false' ? undefined : value;
}
