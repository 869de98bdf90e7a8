import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import yaml from 'js-yaml';
import { configFileCarrier, containerCarrier, flattenConfig, parseFlinkConfLines, parseFlinkProperties, setNested } from '../../../src/flink/config-carriers.ts';
import { effectiveHaType, haKindOf } from '../../../src/flink/config-keys.ts';
import { haTypeWrite, parseOperatorFlinkVersion, versionFromImage } from '../../../src/flink/version.ts';

describe('Flink config carriers', () => {
  it('flattens nested config as the operator does (keys joined by dots, lists by semicolons, scalars as text)', () => {
    const flat = flattenConfig({ 'high-availability': { type: 'kubernetes', storageDir: 'file:///ha' }, 'taskmanager.numberOfTaskSlots': 2, 'env.java.opts': ['-Xss1m', '-Da=b'] });
    assert.deepEqual(Object.fromEntries(flat), { 'high-availability.type': 'kubernetes', 'high-availability.storageDir': 'file:///ha', 'taskmanager.numberOfTaskSlots': '2', 'env.java.opts': '-Xss1m;-Da=b' });
  });

  it('writes beside an existing nested parent, else flat', () => {
    const root: Record<string, unknown> = { state: { 'checkpoints.dir': 'x' }, 'high-availability': { type: 'kubernetes' } };
    setNested(root, 'high-availability.storageDir', 's3://b');
    setNested(root, 'kubernetes.jobmanager.replicas', '2');
    assert.deepEqual(root, { state: { 'checkpoints.dir': 'x' }, 'high-availability': { type: 'kubernetes', storageDir: 's3://b' }, 'kubernetes.jobmanager.replicas': '2' });
  });

  it('reads flink-conf.yaml lines as Flink does (first ": ", comments, quotes)', () => {
    const m = parseFlinkConfLines('# comment\nhigh-availability.storageDir: s3://b/ha  # trailing\nkubernetes.cluster-id: "orders"\nempty.key:\n');
    assert.equal(m.get('high-availability.storageDir'), 's3://b/ha');
    assert.equal(m.get('kubernetes.cluster-id'), 'orders');
    assert.equal(m.get('empty.key'), '');
  });

  it('reads FLINK_PROPERTIES split at the first colon, keeping URLs whole', () => {
    const m = parseFlinkProperties('high-availability.storageDir: s3://bucket/ha\n  kubernetes.cluster-id:orders\n');
    assert.equal(m.get('high-availability.storageDir'), 's3://bucket/ha');
    assert.equal(m.get('kubernetes.cluster-id'), 'orders');
  });

  it('reads -Dkey=value and "-D key=value" args, and writes -D args', () => {
    const c = { name: 'jm', args: ['jobmanager', '$(POD_IP)', '-Dhigh-availability.type=kubernetes', '-D', 'kubernetes.cluster-id=orders'] };
    const carrier = containerCarrier(c);
    assert.equal(carrier.get('high-availability.type'), 'kubernetes');
    assert.equal(carrier.get('kubernetes.cluster-id'), 'orders');
    carrier.set('high-availability.storageDir', 's3://b');
    assert.equal(c.args.at(-1), '-Dhigh-availability.storageDir=s3://b');
  });

  it('config.yaml: appends flat keys, or rewrites into an existing nested parent (never both a: and a.b:)', () => {
    const data: Record<string, string> = { 'config.yaml': 'high-availability:\n  type: kubernetes\n' };
    const carrier = configFileCarrier(data, 'config.yaml', 'flink-config');
    carrier.set('high-availability.storageDir', 's3://b');
    carrier.set('kubernetes.cluster-id', 'orders');
    assert.deepEqual(yaml.load(data['config.yaml']!), { 'high-availability': { type: 'kubernetes', storageDir: 's3://b' }, 'kubernetes.cluster-id': 'orders' });
  });

  it('config.yaml: refuses what it would not read before expanding it; reads aliases and merge keys within the bounds', () => {
    const aliased = (n: number) => `high-availability.type: kubernetes\nbase: &b [${Array.from({ length: 100 }, (_, i) => i).join(', ')}]\n${Array.from({ length: n }, (_, i) => `copy${i}: *b`).join('\n')}\n`;
    const refuse = (text: string, says: RegExp) => assert.throws(() => configFileCarrier({ 'config.yaml': text }, 'config.yaml', 'flink-config').get('high-availability.type'), says);
    refuse(aliased(11), /ConfigMap flink-config, config\.yaml is refused: excessive aliasing: more than 1000 of its nodes come from aliases; expand the aliases/);
    refuse(`high-availability.type: kubernetes\n# ${'x'.repeat(40 * 1024)}\n`, /config\.yaml is refused: 41 KiB, more than the 32 KiB the webhook reads/);
    assert.equal(configFileCarrier({ 'config.yaml': aliased(9) }, 'config.yaml', 'flink-config').get('copy8'), Array.from({ length: 100 }, (_, i) => i).join(';'));
    const merged = configFileCarrier({ 'config.yaml': 'ha: &ha {type: kubernetes}\nhigh-availability: {<<: *ha, storageDir: s3://b}\n' }, 'config.yaml', 'flink-config');
    assert.equal(merged.get('high-availability.type'), 'kubernetes', 'merge keys are merged, as before');
    assert.equal(merged.get('high-availability.storageDir'), 's3://b');
  });

  it('config.yaml: what a write leaves is read as a fresh parse of the written text reads it (the parse is reused)', () => {
    const texts = [
      'high-availability.type: kubernetes\n# a comment\nkubernetes.cluster-id: c\n',
      'high-availability.type: kubernetes\nblock: |\n  text\n  more',
      '', '# only a comment', 'a.b: {c: 1}\nhigh-availability.type: kubernetes\n',
      'high-availability.storageDir: s3://old\n', // the key is there: appending makes a duplicate, which js-yaml refuses
      'x: 1\n---\ny: 2\n',
    ];
    for (const text of texts) {
      const data: Record<string, string> = { 'config.yaml': text };
      const carrier = configFileCarrier(data, 'config.yaml', 'flink-config');
      const outcome = (c: ReturnType<typeof configFileCarrier>, key: string) => {
        try {
          return c.get(key);
        } catch (err) {
          return `error: ${(err as Error).message}`;
        }
      };
      outcome(carrier, 'high-availability.type');
      try {
        carrier.set('high-availability.storageDir', 's3://b');
        carrier.set('a.b.c', '2');
      } catch { /* a text that does not parse cannot be written to: the fresh carrier below says the same */ }
      const fresh = configFileCarrier({ ...data }, 'config.yaml', 'flink-config');
      for (const key of ['high-availability.storageDir', 'a.b.c', 'high-availability.type', 'block']) {
        assert.equal(outcome(carrier, key), outcome(fresh, key), `${JSON.stringify(text)}: ${key} after the writes`);
      }
    }
  });

  it('flink-conf.yaml: what writes leave is read as a fresh parse of the written text reads it (no re-parse per write)', () => {
    const texts = ['a: 1\n# c\nhigh-availability: zookeeper\n', 'a: 1', '', '# only a comment', 'kubernetes.cluster-id: old\r\nb: "q"'];
    const writes: Array<[string, string]> = [['high-availability', 'kubernetes'], ['kubernetes.cluster-id', 'c #1'], ['x', 'multi\nline'], ['a', "'q'"]];
    for (const text of texts) {
      const data: Record<string, string> = { 'flink-conf.yaml': text };
      const carrier = configFileCarrier(data, 'flink-conf.yaml', 'flink-config');
      carrier.get('a');
      for (const [k, v] of writes) carrier.set(k, v);
      const fresh = configFileCarrier({ ...data }, 'flink-conf.yaml', 'flink-config');
      for (const key of ['a', 'b', 'x', 'high-availability', 'kubernetes.cluster-id', 'line']) {
        assert.equal(carrier.get(key), fresh.get(key), `${JSON.stringify(text)}: ${key} after the writes`);
      }
    }
  });

  it('reports invalid config.yaml as a parse error naming the ConfigMap', () => {
    const carrier = configFileCarrier({ 'config.yaml': 'a: [1' }, 'config.yaml', 'flink-config');
    assert.throws(() => carrier.get('a'), /ConfigMap flink-config, config.yaml is not valid YAML/);
  });

  it('reads HA modes as Flink does', () => {
    assert.equal(haKindOf(' Kubernetes '), 'kubernetes');
    assert.equal(haKindOf('org.apache.flink.kubernetes.highavailability.KubernetesHaServicesFactory'), 'kubernetes');
    assert.equal(haKindOf('ZOOKEEPER'), 'zookeeper');
    assert.equal(haKindOf('NONE'), 'none');
    assert.equal(haKindOf('com.example.MyHaFactory'), 'factory');
    const cfg = new Map([['high-availability', 'zookeeper'], ['recovery.mode', 'none']]);
    assert.deepEqual(effectiveHaType((k) => cfg.get(k)), { key: 'high-availability', value: 'zookeeper' });
  });

  it('chooses the key to write by Flink version', () => {
    assert.deepEqual(parseOperatorFlinkVersion('v1_20'), { major: 1, minor: 20 });
    assert.deepEqual(versionFromImage('registry.example.com/apache/flink:1.16.3-scala_2.12@sha256:abc'), { major: 1, minor: 16 });
    assert.equal(versionFromImage('flink:latest'), undefined);
    assert.equal(haTypeWrite({ major: 1, minor: 20 }).key, 'high-availability.type');
    assert.equal(haTypeWrite({ major: 2, minor: 2 }).key, 'high-availability.type');
    assert.equal(haTypeWrite({ major: 1, minor: 16 }).key, 'high-availability');
    assert.equal(haTypeWrite(undefined).key, 'high-availability.type');
    assert.equal(haTypeWrite(undefined, true).key, 'high-availability');
  });
});
