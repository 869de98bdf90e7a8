// What a running Flink cluster sends to the API server, counted by the API server itself over a quiet window:
// requests on ConfigMaps and Leases per verb (apiserver_request_total) and the calls it made to each webhook.
import { setTimeout as sleep } from 'node:timers/promises';
import { webhookCallCounts, type ControlPlane } from '../harness/index.ts';

export const HA_WEBHOOK = 'ha-configmaps.flink-ha.io';

export interface Traffic {
  seconds: number;
  /** ConfigMap requests per verb (get, list, watch, create, update, patch, delete) in the window. */
  verbs: Record<string, number>;
  /** Lease requests (coordination.k8s.io) in the window, per verb. */
  leaseVerbs: Record<string, number>;
  /** Calls the API server made to each webhook in the window. */
  webhookCalls: Record<string, number>;
}

function requestCounts(metrics: string, resource: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of metrics.split('\n')) {
    if (!line.startsWith('apiserver_request_total{') || !line.includes(`resource="${resource}"`)) continue;
    const verb = /[{,]verb="([^"]+)"/.exec(line)?.[1]?.toLowerCase();
    if (verb === undefined) continue;
    counts.set(verb, (counts.get(verb) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return counts;
}

function diff(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of after) {
    const d = value - (before.get(key) ?? 0);
    if (d > 0) out[key] = d;
  }
  return out;
}

/** Counts for `windowMs` in which the test itself sends nothing (its own /metrics reads are not ConfigMap requests). */
export async function configMapTraffic(plane: ControlPlane, windowMs: number): Promise<Traffic> {
  const m0 = await plane.get('/metrics');
  const w0 = await webhookCallCounts(plane);
  const t0 = Date.now();
  await sleep(windowMs);
  const m1 = await plane.get('/metrics');
  const w1 = await webhookCallCounts(plane);
  return {
    seconds: Math.round((Date.now() - t0) / 1000),
    verbs: diff(requestCounts(m0, 'configmaps'), requestCounts(m1, 'configmaps')),
    leaseVerbs: diff(requestCounts(m0, 'leases'), requestCounts(m1, 'leases')),
    webhookCalls: diff(w0, w1),
  };
}
