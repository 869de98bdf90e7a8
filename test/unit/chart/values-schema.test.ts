// values.schema.json: each bad value a user might write is refused by `helm template` (so by `helm install` and
// `helm upgrade`, which validate the same way) with the field named, before anything reaches a cluster.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { template } from './helm.ts';

/** [what a user wrote, the values, the field helm's error must name] */
const BAD_VALUES: Array<[string, unknown, string]> = [
  ['negative replicas', { replicas: -1 }, '/replicas'],
  ['no replica at all (the fail-closed guards would refuse every HA deletion)', { replicas: 0 }, '/replicas'],
  ['replicas as a string', { replicas: 'two' }, '/replicas'],
  ['an image tag written as a number', 'image:\n  tag: 1.20\n', '/image/tag'],
  ['an unknown pull policy', { image: { pullPolicy: 'Sometimes' } }, '/image/pullPolicy'],
  ['an unknown tls.mode', { tls: { mode: 'vault' } }, '/tls/mode'],
  ['a caBundle that is not base64', { tls: { caBundle: '-----BEGIN CERTIFICATE-----' } }, '/tls/caBundle'],
  ['a bad failure policy', { failurePolicy: { haConfigMaps: 'Open' } }, '/failurePolicy/haConfigMaps'],
  ['a lower-case failure policy', { failurePolicy: { mutation: 'ignore' } }, '/failurePolicy/mutation'],
  ['a bad mode', { config: { mode: 'strict' } }, '/config/mode'],
  ['a bad guard mode', { config: { guardMode: 'off' } }, '/config/guardMode'],
  ['a bad namespace mode', { config: { namespaceModes: { team: 'loose' } } }, '/config/namespaceModes/team'],
  ['operator ServiceAccounts as one string', { config: { operatorServiceAccounts: 'flink-operator' } }, '/config/operatorServiceAccounts'],
  ['an operator ServiceAccount with a bad name', { config: { operatorServiceAccounts: ['Flink_Operator'] } }, '/config/operatorServiceAccounts/0'],
  ['an HA ServiceAccount with upper case', { config: { haServiceAccount: 'Flink' } }, '/config/haServiceAccount'],
  ['a storageDir template without a scheme', { config: { storageDirTemplate: '/tmp/ha' } }, '/config/storageDirTemplate'],
  ['requirePodBoundToken as a string', { config: { requirePodBoundToken: 'false' } }, '/config/requirePodBoundToken'],
  ['no image pattern', { config: { imagePatterns: [] } }, '/config/imagePatterns'],
  ['a namespace name with upper case', { config: { excludedNamespaces: ['Team-A'] } }, '/config/excludedNamespaces/0'],
  ['minJobManagers 0', { config: { minJobManagers: 0 } }, '/config/minJobManagers'],
  ['a misspelt config key', { config: { haServiceAcount: 'flink' } }, "'haServiceAcount'"],
  ['a misspelt top-level key', { replica: 3 }, "'replica'"],
  ['a timeout beyond the API server limit', { timeoutSeconds: 60 }, '/timeoutSeconds'],
  ['a label value that is not a string', { commonLabels: { team: 7 } }, '/commonLabels/team'],
  ['networkPolicy.enabled as a string', { networkPolicy: { enabled: 'yes' } }, '/networkPolicy/enabled'],
  ['networkPolicy.from as one peer, not a list', { networkPolicy: { from: { ipBlock: { cidr: '10.0.0.0/24' } } } }, '/networkPolicy/from'],
  ['clientAuth.caBundle as PEM, not base64', { clientAuth: { caBundle: '-----BEGIN CERTIFICATE-----' } }, '/clientAuth/caBundle'],
  ['a cert-manager duration in days', { tls: { certManager: { duration: '90d' } } }, '/tls/certManager/duration'],
  ['a percentage minAvailable without %', { podDisruptionBudget: { minAvailable: '50' } }, '/podDisruptionBudget/minAvailable'],
];

describe('values.schema.json refuses bad values with the field named', () => {
  for (const [what, values, field] of BAD_VALUES) {
    it(what, async () => {
      const run = await template(values);
      assert.notEqual(run.code, 0, 'helm template must fail');
      assert.match(run.stderr, /values don't meet the specifications of the schema/);
      assert.ok(run.stderr.includes(field), `the error names ${field}:\n${run.stderr}`);
    });
  }

  it('accepts what a platform team writes', async () => {
    const run = await template({
      image: { repository: 'registry.example.com/platform/flink-ha-webhook', tag: '0.1.0', pullPolicy: 'Always' },
      replicas: 3,
      resources: { requests: { cpu: '200m', memory: '256Mi' }, limits: { memory: '1Gi' } },
      podDisruptionBudget: { minAvailable: '50%' },
      config: {
        haServiceAccount: 'flink-jobs', operatorServiceAccounts: ['flink-system:flink-operator'], allowedPrincipals: ['group:sre'],
        storageDirTemplate: 's3://flink-ha/{namespace}/{clusterId}', mode: 'warn', namespaceModes: { sandbox: 'audit' },
        excludedNamespaces: ['kube-system', 'team-sandbox'],
      },
      failurePolicy: { mutation: 'Fail' },
      tls: { mode: 'cert-manager', certManager: { issuerRef: { kind: 'ClusterIssuer', name: 'internal-ca' }, duration: '720h' } },
      priorityClassName: '',
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'platform', effect: 'NoSchedule' }],
      commonLabels: { team: 'platform' },
      commonAnnotations: { 'example.com/owner': 'platform' },
    });
    assert.equal(run.code, 0, run.stderr);
  });
});
