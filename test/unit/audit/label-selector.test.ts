import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { selectorMatches, type LabelSelector } from '../../../src/audit/label-selector.ts';

const ns = (name: string, labels: Record<string, string> = {}) => ({ 'kubernetes.io/metadata.name': name, ...labels });

describe('label selectors, as the API server reads the webhook configurations\' selectors', () => {
  // Each row: a selector from a real webhook configuration, labels, and whether the webhook sees the object.
  const table: Array<[string, LabelSelector | undefined, Record<string, string>, boolean]> = [
    ['no selector matches everything', undefined, ns('team-a'), true],
    ['NotIn the excluded namespaces: a team namespace', { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'flink-ha-webhook'] }] }, ns('team-a'), true],
    ['NotIn the excluded namespaces: kube-system', { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'flink-ha-webhook'] }] }, ns('kube-system'), false],
    ['In: the HA ConfigMap type label', { matchExpressions: [{ key: 'type', operator: 'In', values: ['flink-native-kubernetes'] }] }, { type: 'flink-native-kubernetes' }, true],
    ['In: a ConfigMap without the label', { matchExpressions: [{ key: 'type', operator: 'In', values: ['flink-native-kubernetes'] }] }, {}, false],
    ['Exists', { matchExpressions: [{ key: 'flink', operator: 'Exists' }] }, ns('a', { flink: '' }), true],
    ['DoesNotExist', { matchExpressions: [{ key: 'flink-ha.io/exempt', operator: 'DoesNotExist' }] }, ns('a', { 'flink-ha.io/exempt': 'true' }), false],
    ['matchLabels and matchExpressions are ANDed', { matchLabels: { env: 'prod' }, matchExpressions: [{ key: 'team', operator: 'Exists' }] }, ns('a', { env: 'prod' }), false],
    ['an unknown operator matches nothing', { matchExpressions: [{ key: 'x', operator: 'Gt', values: ['1'] }] }, { x: '2' }, false],
  ];
  for (const [name, selector, labels, expected] of table) {
    it(name, () => assert.equal(selectorMatches(selector, labels), expected));
  }
});
