import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/load.ts';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const file = (text: string): string => {
  const dir = mkdtempSync(join(tmpdir(), 'fhw-config-'));
  dirs.push(dir);
  const path = join(dir, 'config.yaml');
  writeFileSync(path, text);
  return path;
};

describe('loadConfig', () => {
  it('gives working defaults with no file', () => {
    const result = loadConfig();
    assert.ok(result.ok, `defaults load: ${JSON.stringify(result)}`);
    assert.equal(result.config.haServiceAccount, 'flink');
    assert.deepEqual(result.config.operatorServiceAccounts, ['flink-operator']);
    assert.equal(result.config.minJobManagers, 2);
    assert.equal(result.config.mode, 'enforce');
    assert.equal(result.config.storageDirTemplate, undefined);
    assert.ok(result.config.excludedNamespaces.includes('kube-system'), `kube-system is excluded by default: ${JSON.stringify(result.config.excludedNamespaces)}`);
    assert.ok(result.config.excludedNamespaces.includes('flink-ha-webhook'), `the webhook's own namespace is excluded by default: ${JSON.stringify(result.config.excludedNamespaces)}`);
  });

  it('exceptions count in the webhook namespace by default, wherever that is; the config can name others; the exempt label is retired', () => {
    const defaults = loadConfig();
    assert.ok(defaults.ok, 'defaults load');
    assert.deepEqual(defaults.config.exceptionNamespaces, ['flink-ha-webhook'], 'the webhook namespace by default');
    assert.equal(defaults.config.legacyExemptLabel, false, 'the exempt label exempts nothing by default');
    const moved = loadConfig({ env: { FLINK_HA_WEBHOOK_NAMESPACE: 'platform' } });
    assert.ok(moved.ok && moved.config.exceptionNamespaces.join() === 'platform', `follows webhookNamespace: ${JSON.stringify(moved)}`);
    const named = loadConfig({ file: file('exceptionNamespaces: [platform-exceptions]\nlegacyExemptLabel: true\n'), env: { FLINK_HA_WEBHOOK_NAMESPACE: 'platform' } });
    assert.ok(named.ok && named.config.exceptionNamespaces.join() === 'platform-exceptions' && named.config.legacyExemptLabel, `the config's list replaces the default: ${JSON.stringify(named)}`);
    const env = loadConfig({ env: { FLINK_HA_EXCEPTION_NAMESPACES: 'a,b' } });
    assert.ok(env.ok && env.config.exceptionNamespaces.join() === 'a,b', 'and the env');
    const bad = loadConfig({ file: file('exceptionNamespaces: ["*"]\nlegacyExemptLabel: "yes"\n') });
    assert.ok(!bad.ok, 'a wildcard namespace and a non-boolean switch are refused');
    assert.ok(bad.errors.some((e) => e.includes('exceptionNamespaces.0')) && bad.errors.some((e) => e.includes('legacyExemptLabel')), `each named: ${JSON.stringify(bad.errors)}`);
  });

  it('reads a file, then env, then overrides, in that precedence', () => {
    const path = file('haServiceAccount: flink-ha\nminJobManagers: 3\nmode: warn\n');
    const result = loadConfig({ file: path, env: { FLINK_HA_MIN_JOBMANAGERS: '4' }, overrides: { mode: 'audit' } });
    assert.ok(result.ok, `file + env + overrides load: ${JSON.stringify(result)}`);
    assert.equal(result.config.haServiceAccount, 'flink-ha');
    assert.equal(result.config.minJobManagers, 4);
    assert.equal(result.config.mode, 'audit');
  });

  const bad: Array<[string, string, RegExp]> = [
    ['an unknown mode', 'mode: strict\n', /mode: must be equal to one of the allowed values: one of enforce, warn, audit/],
    ['a misspelt key', 'haServiceAcount: flink\n', /additional properties 'haServiceAcount'/],
    ['a nested bad field', 'server:\n  port: 70000\n', /server\.port: must be <= 65535/],
    ['a template without a scheme', 'storageDirTemplate: /tmp/ha\n', /storageDirTemplate: must match pattern/],
    ['a YAML syntax error', 'mode: [enforce\n', /config\.yaml: /],
    ['a list instead of a mapping', '- a\n- b\n', /must be a YAML mapping/],
    ['a bare * in the non-owner label allow-list', 'nonOwnerMetadata:\n  labels: ["*"]\n', /nonOwnerMetadata\.labels\.0: must match pattern/],
    ['a key with spaces in the non-owner annotation allow-list', 'nonOwnerMetadata:\n  annotations: ["my note"]\n', /nonOwnerMetadata\.annotations\.0: must match pattern/],
    ['a negative byte bound', 'nonOwnerMetadata:\n  maxBytes: -1\n', /nonOwnerMetadata\.maxBytes: must be >= 0/],
    ['a byte bound past the API server\'s own', 'nonOwnerMetadata:\n  maxBytes: 1000000\n', /nonOwnerMetadata\.maxBytes: must be <= 262144/],
    ['a misspelt allow-list field', 'nonOwnerMetadata:\n  label: [team]\n', /nonOwnerMetadata: must NOT have additional properties 'label'/],
    ['Flink\'s own label opened to non-owners', 'nonOwnerMetadata:\n  labels: [app]\n', /nonOwnerMetadata\.labels: 'app' would open app to non-owners/],
    ['the webhook\'s prefix opened to non-owners', 'nonOwnerMetadata:\n  annotations: [flink-ha.io/*]\n', /nonOwnerMetadata\.annotations: 'flink-ha\.io\/\*' would open flink-ha\.io\//],
    ['a prefix covering the leader annotation', 'nonOwnerMetadata:\n  annotations: [control-plane.alpha.kubernetes.io/*]\n', /would open control-plane\.alpha\.kubernetes\.io\/leader/],
    ['a prefix covering a configured mark key', 'releaseAnnotation: example.com/release\nnonOwnerMetadata:\n  annotations: [example.com/*]\n', /would open example\.com\/release/],
  ];
  for (const [what, text, expected] of bad) {
    it(`rejects ${what} with a message naming the field`, () => {
      const result = loadConfig({ file: file(text) });
      assert.equal(result.ok, false);
      assert.match(result.ok ? '' : result.errors.join('\n'), expected);
    });
  }

  it('reads the non-owner allow-list: exact keys and prefixes, the bound, the rest from the defaults', () => {
    const defaults = loadConfig();
    assert.ok(defaults.ok, defaults.ok ? '' : defaults.errors.join('; '));
    assert.deepEqual(defaults.config.nonOwnerMetadata, { labels: [], annotations: ['kubernetes.io/description'], maxBytes: 4096 }, 'documented defaults');
    const result = loadConfig({ file: file('nonOwnerMetadata:\n  labels: [team, cost.example.com/*]\n  maxBytes: 1024\n') });
    assert.ok(result.ok, result.ok ? '' : result.errors.join('; '));
    assert.deepEqual(result.config.nonOwnerMetadata, { labels: ['team', 'cost.example.com/*'], annotations: ['kubernetes.io/description'], maxBytes: 1024 });
  });

  it('rejects a non-integer env value', () => {
    const result = loadConfig({ env: { FLINK_HA_PORT: 'eighty' } });
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : result.errors.join('\n'), /FLINK_HA_PORT: 'eighty' is not an integer/);
  });
});
