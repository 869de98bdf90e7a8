// Finds the config the installed webhook runs with, so that a live audit judges a cluster as its webhook does
// (not with the built-in defaults). The chart and manifests/ install it as the ConfigMap `<fullname>-config`,
// key `webhook.yaml`, labelled app.kubernetes.io/name=flink-ha-webhook, beside the Service the webhook
// configurations call. Read-only; any refusal or absence is reported, never thrown (the audit then says so).
import { AdmissionregistrationV1Api, CoreV1Api, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { apiOutcome, withTimeout } from '../kube/api-client.ts';
import { ClusterError } from '../kube/cluster-error.ts';

export const CONFIG_KEY = 'webhook.yaml';
export const CONFIG_LABEL = 'app.kubernetes.io/name=flink-ha-webhook';

export type InstalledConfig =
  | { found: true; yaml: string; where: string }
  | { found: false; why: string };

/** The installed webhook's config, or why none was found. Throws only a ClusterError of an unreachable cluster. */
export async function findInstalledConfig(kc: KubeConfig, timeoutMs: number): Promise<InstalledConfig> {
  const server = kc.getCurrentCluster()?.server ?? 'the API server';
  const core = kc.makeApiClient(CoreV1Api);
  const notes: string[] = [];
  const ask = async <T>(what: string, call: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await withTimeout(call(), timeoutMs, server, what);
    } catch (err) {
      const outcome = apiOutcome(err, server, what);
      if (outcome instanceof ClusterError) throw outcome;
      notes.push(`${what}: ${outcome}`);
      return undefined;
    }
  };

  // 1. The Service the webhook configurations call: its ConfigMap is `<service>-config` in that namespace.
  const service = await webhookService(kc, ask);
  if (service) {
    const cm = await ask(`get configmap ${service.namespace}/${service.name}-config`, () =>
      core.readNamespacedConfigMap({ name: `${service.name}-config`, namespace: service.namespace }));
    if (cm?.data?.[CONFIG_KEY] !== undefined) return found(cm);
  }
  // 2. Any ConfigMap the chart or manifests/ labelled (an out-of-cluster webhook, a renamed release).
  const all = await ask(`list configmaps -l ${CONFIG_LABEL} (cluster-wide)`, () =>
    core.listConfigMapForAllNamespaces({ labelSelector: CONFIG_LABEL }));
  const candidates = (all?.items ?? []).filter((cm) => cm.data?.[CONFIG_KEY] !== undefined);
  const preferred = service ? candidates.filter((cm) => cm.metadata?.namespace === service.namespace) : candidates;
  if (preferred.length === 1) return found(preferred[0]!);
  if (candidates.length > 1) {
    return { found: false, why: `${candidates.length} ConfigMaps labelled ${CONFIG_LABEL} hold ${CONFIG_KEY} (${candidates.map(nameOf).join(', ')}); which one the webhook reads is not certain` };
  }
  if (candidates.length === 1) return found(candidates[0]!);
  const where = service ? `the webhook configurations call service ${service.namespace}/${service.name}, ` : 'no webhook configuration names a Service, ';
  return { found: false, why: `${where}and no ConfigMap labelled ${CONFIG_LABEL} holds ${CONFIG_KEY}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}` };
}

function found(cm: V1ConfigMap): InstalledConfig {
  return { found: true, yaml: cm.data![CONFIG_KEY]!, where: `ConfigMap ${nameOf(cm)}, key ${CONFIG_KEY}` };
}

function nameOf(cm: V1ConfigMap): string {
  return `${cm.metadata?.namespace ?? '?'}/${cm.metadata?.name ?? '?'}`;
}

type Ask = <T>(what: string, call: () => Promise<T>) => Promise<T | undefined>;

/** The Service of the flink-ha.io webhooks (ha-configmaps first: it is always installed), when they call one. */
async function webhookService(kc: KubeConfig, ask: Ask): Promise<{ namespace: string; name: string } | undefined> {
  const api = kc.makeApiClient(AdmissionregistrationV1Api);
  const list = await ask('list validatingwebhookconfigurations', () => api.listValidatingWebhookConfiguration());
  const hooks = (list?.items ?? []).flatMap((c) => c.webhooks ?? []).filter((w) => w.name.endsWith('.flink-ha.io'));
  hooks.sort((a, b) => Number(b.name.startsWith('ha-configmaps.')) - Number(a.name.startsWith('ha-configmaps.')));
  const svc = hooks.find((w) => w.clientConfig.service !== undefined)?.clientConfig.service;
  return svc ? { namespace: svc.namespace, name: svc.name } : undefined;
}
