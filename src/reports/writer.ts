// Puts the Reports built by src/reports/build.ts into the cluster: creates the missing, replaces in place those whose
// content hash changed, deletes ours that have nothing left to report, and leaves the rest alone (no write). One
// LIST per kind finds ours (by the managed-by label); the store below is the only part that speaks HTTP.
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { mapLimit } from '../kube/api-client.ts';
import { HASH_ANNOTATION, MANAGED_BY, REPORTS_GROUP, REPORTS_VERSION, type BuiltReports, type ReportObject } from './build.ts';

export type ReportKind = 'Report' | 'ClusterReport';

export interface StoredReport {
  kind: ReportKind;
  namespace?: string;
  name: string;
  hash?: string;
  resourceVersion?: string;
}

/** What the writer needs of the API server; tests give it a fake. */
export interface ReportStore {
  /** Ours (managed-by label), every namespace. Throws ReportsNotInstalled when the CRD is not served. */
  list(kind: ReportKind): Promise<StoredReport[]>;
  create(report: ReportObject): Promise<void>;
  /** Replace in place (optimistic: the stored resourceVersion). */
  replace(report: ReportObject, resourceVersion: string | undefined): Promise<void>;
  delete(report: StoredReport): Promise<void>;
}

export class ReportsNotInstalled extends Error {}

export interface SyncResult {
  created: number;
  updated: number;
  deleted: number;
  unchanged: number;
  /** Writes that failed (a namespace being deleted, a conflict): tried again next cycle. */
  failed: Array<{ report: string; reason: string }>;
}

export async function syncReports(built: BuiltReports, store: ReportStore, concurrency = 4): Promise<SyncResult> {
  const result: SyncResult = { created: 0, updated: 0, deleted: 0, unchanged: 0, failed: [] };
  const [stored, storedCluster] = await Promise.all([store.list('Report'), store.list('ClusterReport')]);
  const key = (kind: string, namespace: string | undefined, name: string) => `${kind}/${namespace ?? ''}/${name}`;
  const existing = new Map([...stored, ...storedCluster].map((s) => [key(s.kind, s.namespace, s.name), s]));
  const desired = [...built.namespaced, ...(built.cluster ? [built.cluster] : [])];
  const wanted = new Set<string>();
  const attempt = async (what: string, write: () => Promise<void>, counted: 'created' | 'updated' | 'deleted') => {
    try {
      await write();
      result[counted]++;
    } catch (err) {
      result.failed.push({ report: what, reason: ((err as Error).message ?? String(err)).split('\n')[0] ?? '' });
    }
  };
  await mapLimit(desired, concurrency, async (report) => {
    const k = key(report.kind, report.metadata.namespace, report.metadata.name);
    wanted.add(k);
    const have = existing.get(k);
    if (!have) return attempt(k, () => store.create(report), 'created');
    if (have.hash === report.metadata.annotations[HASH_ANNOTATION]) {
      result.unchanged++;
      return undefined;
    }
    return attempt(k, () => store.replace(report, have.resourceVersion), 'updated');
  });
  const stale = [...existing].filter(([k]) => !wanted.has(k)).map(([, s]) => s);
  await mapLimit(stale, concurrency, (s) => attempt(key(s.kind, s.namespace, s.name), () => store.delete(s), 'deleted'));
  return result;
}

const PLURAL: Record<ReportKind, string> = { Report: 'reports', ClusterReport: 'clusterreports' };

interface Listed {
  items: Array<{ metadata?: { name?: string; namespace?: string; resourceVersion?: string; annotations?: Record<string, string> } }>;
  metadata?: { continue?: string };
}

/** The store over the API server (CustomObjectsApi: the openreports types are not in client-node's models). */
export function apiReportStore(kc: KubeConfig, onRequest: () => void = () => undefined): ReportStore {
  const api = kc.makeApiClient(CustomObjectsApi);
  const common = { group: REPORTS_GROUP, version: REPORTS_VERSION };
  const counted = <T>(p: Promise<T>): Promise<T> => {
    onRequest();
    return p;
  };
  return {
    async list(kind) {
      const out: StoredReport[] = [];
      let token: string | undefined;
      do {
        let page: Listed;
        try {
          page = (await counted(api.listClusterCustomObject({ ...common, plural: PLURAL[kind], labelSelector: `${MANAGED_BY.key}=${MANAGED_BY.value}`, limit: 500, _continue: token }))) as Listed;
        } catch (err) {
          if ((err as { code?: number }).code === 404) throw new ReportsNotInstalled(`${PLURAL[kind]}.${REPORTS_GROUP} is not served: install the openreports.io CRDs (chart value reports.installCRDs)`);
          throw err;
        }
        for (const item of page.items) {
          const m = item.metadata ?? {};
          out.push({ kind, name: m.name ?? '', namespace: m.namespace, hash: m.annotations?.[HASH_ANNOTATION], resourceVersion: m.resourceVersion });
        }
        token = page.metadata?.continue || undefined;
      } while (token);
      return out;
    },
    async create(report) {
      const { namespace } = report.metadata;
      await counted(namespace === undefined
        ? api.createClusterCustomObject({ ...common, plural: PLURAL[report.kind], body: report })
        : api.createNamespacedCustomObject({ ...common, plural: PLURAL[report.kind], namespace, body: report }));
    },
    async replace(report, resourceVersion) {
      const { namespace, name } = report.metadata;
      const body = { ...report, metadata: { ...report.metadata, ...(resourceVersion ? { resourceVersion } : {}) } };
      await counted(namespace === undefined
        ? api.replaceClusterCustomObject({ ...common, plural: PLURAL[report.kind], name, body })
        : api.replaceNamespacedCustomObject({ ...common, plural: PLURAL[report.kind], namespace, name, body }));
    },
    async delete(s) {
      try {
        await counted(s.namespace === undefined
          ? api.deleteClusterCustomObject({ ...common, plural: PLURAL[s.kind], name: s.name })
          : api.deleteNamespacedCustomObject({ ...common, plural: PLURAL[s.kind], namespace: s.namespace, name: s.name }));
      } catch (err) {
        if ((err as { code?: number }).code !== 404) throw err; // already gone (its namespace was deleted)
      }
    },
  };
}
