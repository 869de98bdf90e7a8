// The policy's single entry point: a request and a context in, a Decision out. The webhook (phase 'mutate' or
// 'validate'), dry-run and audit (phase 'both') all call this; it never throws, whatever the object.
import type { Operation as JsonPatchOperation } from 'fast-json-patch';
import { diffJson } from './json-diff.ts';
import { describeObject, type KubeObject } from '../kube/objects.ts';
import { classify, isRecord, type Classified } from '../flink/workload.ts';
import { looksLikeHaState, takesHaStateName } from '../flink/ha-configmap.ts';
import { markKeysOf } from './ha-owned-fields.ts';
import { checkReviewShape } from './review-shape.ts';
import { RULES } from './rules/index.ts';
import { protectFlinkDeployment } from './rules/protect-flink-deployment.ts';
import { flinkViewOf } from './flink-view.ts';
import { resolveMode, type Exemption } from './modes.ts';
import { isExceptionObject } from './exceptions.ts';
import { exceptionObjectProblem } from './exceptions-match.ts';
import { finding, type Rule, type Target } from './target.ts';
import type { Decision, Finding, Mode, Phase, PolicyContext, PolicyRequest } from './types.ts';

const imagePatternCache = new WeakMap<string[], RegExp[]>();

export async function decide(request: PolicyRequest, ctx: PolicyContext, phase: Phase = 'both'): Promise<Decision> {
  const subjectObj = request.object ?? request.oldObject;
  const subject = describeObject(subjectObj);
  if (phase !== 'mutate') {
    // Before anything reads the objects: a review whose objects do not match it is refused (fail closed).
    let odd: Finding | undefined;
    try {
      odd = await checkReviewShape(request, ctx.config, ctx.cluster);
    } catch (err) {
      odd = finding('policy-error', 'denied', `could not check the shape of the review of ${subject}: ${messageOf(err)}`);
    }
    if (odd) {
      const excluded = request.namespace !== undefined && ctx.config.excludedNamespaces.includes(request.namespace);
      return assemble(request, bareTarget(request, ctx), [odd], ctx.config.guardMode,
        excluded ? { reason: `namespace ${request.namespace} is excluded in the webhook config` } : undefined, subject);
    }
  }
  let target: Target;
  try {
    target = await buildTarget(request, ctx, phase);
  } catch (err) {
    return errorDecision(request, phase, ctx, subject, `could not read ${subject}: ${messageOf(err)}`);
  }
  if (target.classified.shape === 'other') {
    // A FlinkHAException is judged as one (malformed, misplaced, expired), once: the mutating half, as every note.
    const notes = phase !== 'validate' && isExceptionObject(subjectObj) ? exceptionFindings(subjectObj, target, ctx) : [];
    return assemble(request, target, notes, 'enforce', undefined, subject);
  }
  if (target.classified.shape === 'left-alone') {
    // Still a finding (once: the mutating half), so audits list the object and say why nothing was checked or changed.
    const note = phase === 'validate' ? [] : [finding('ha-enabled', 'exempt', target.classified.reason)];
    // Left to the operator, but not past the front door: a canary label or a FlinkBlueGreenDeployment owner is
    // something anyone who edits the CR can add, and deleting it still makes the operator delete its HA state.
    const guard = phase === 'mutate' ? [] : await frontDoorOf(target, subject);
    const excluded = ctx.config.excludedNamespaces.includes(target.namespace);
    return assemble(request, target, [...note, ...guard], 'enforce', excluded ? { reason: `namespace ${target.namespace} is excluded in the webhook config` } : undefined, subject);
  }
  if (target.classified.shape === 'invalid') {
    return errorDecision(request, phase, ctx, subject, `cannot read ${subject}: ${target.classified.reason}`);
  }

  const findings: Finding[] = [];
  // Indexed loops: this runs for every review, and in an async function V8 keeps the iterators of for-of loops.
  const steps = stepsOf(phase);
  for (let i = 0; i < steps.length; i++) {
    const { rule, half } = steps[i]!;
    try {
      // Most rules answer synchronously: awaiting only real promises spares a microtask turn per rule per review.
      const answer = half(target);
      const found = answer instanceof Promise ? await answer : answer;
      for (let j = 0; j < found.length; j++) findings.push(found[j]!);
    } catch (err) {
      const protective = half === rule.validate;
      findings.push(finding('policy-error', protective ? 'denied' : mutationErrorAction(ctx),
        `rule ${rule.id} could not decide on ${subject}: ${messageOf(err)}`,
        protective ? 'fix the object so the policy can read it, or ask a platform admin' : undefined));
    }
  }
  let mode: Mode = 'enforce';
  let exemption: Exemption | undefined;
  try {
    let notes: Finding[];
    ({ mode, exemption, notes } = await resolveMode(target));
    // Notes once per review (the mutating half), as dry-run and audit give them once.
    if (phase !== 'validate') for (const n of notes) findings.push(n);
  } catch (err) {
    findings.push(finding('policy-error', 'warned', `could not resolve the namespace mode: ${messageOf(err)}; enforcing`));
  }
  return assemble(request, target, findings, mode, exemption, describe(subject, target.classified));
}

function exceptionFindings(obj: KubeObject, target: Target, ctx: PolicyContext): Finding[] {
  // Without a view's clock (no exceptions known) expiry is not judged: the policy reads no clock of its own.
  const view = ctx.cluster.exceptions?.();
  const problem = exceptionObjectProblem(obj, target.namespace, ctx.config.exceptionNamespaces, view?.now);
  return problem ? [finding('flink-ha-exception', problem.action, problem.message, problem.fix)] : [];
}

async function frontDoorOf(target: Target, subject: string): Promise<Finding[]> {
  try {
    return await protectFlinkDeployment.validate!(target);
  } catch (err) {
    return [finding('policy-error', 'denied', `rule protect-flink-deployment could not decide on ${subject}: ${messageOf(err)}`, 'fix the object so the policy can read it, or ask a platform admin')];
  }
}

type Half = (t: Target) => Promise<Finding[]> | Finding[];
interface Step {
  rule: Rule;
  half: Half;
}
const stepsCache = new Map<Phase, Step[]>();

/** The rule halves a phase runs, in catalogue order, worked out once per phase (the catalogue is fixed). */
function stepsOf(phase: Phase): Step[] {
  let steps = stepsCache.get(phase);
  if (!steps) {
    steps = [];
    for (const rule of RULES) {
      const halves = phase === 'mutate' ? [rule.mutate] : phase === 'validate' ? [rule.validate] : [rule.mutate, rule.validate];
      for (const half of halves) if (half) steps.push({ rule, half });
    }
    stepsCache.set(phase, steps);
  }
  return steps;
}

async function buildTarget(request: PolicyRequest, ctx: PolicyContext, phase: Phase): Promise<Target> {
  const obj = request.object ?? request.oldObject;
  const namespace = request.namespace || obj?.metadata?.namespace || (obj?.kind === 'Namespace' ? (obj.metadata?.name ?? '') : 'default');
  const patterns = imagePatternsOf(ctx.config.imagePatterns);
  // Most objects are nothing to Flink: classify the original first and copy only what rules may edit.
  // HA state before or after the write is judged as HA state: an UPDATE that strips the HA labels makes the new
  // object look ordinary, and a CREATE or UPDATE can plant content Flink would take for its own.
  const marks = markKeysOf(ctx.config);
  // A CREATE under a name Flink's HA will use is HA state whatever it holds (a planted ConfigMap); an existing one
  // that is HA state by name only is judged by its content (so anyone who may can still remove a planted one).
  const wasHa = looksLikeHaState(request.object, marks) || looksLikeHaState(request.oldObject, marks) ||
    (request.operation === 'CREATE' && takesHaStateName(request.object));
  const first: Classified = wasHa ? { shape: 'ha-configmap' } : classify(request.object ?? request.oldObject ?? {}, patterns);
  // The validating webhook never edits: it judges the object as sent, with no copy.
  const part = phase === 'validate' ? undefined : EDITABLE_PART[first.shape];
  // Mutate rules edit only `spec` (workloads, FlinkDeployments) or `data` (config ConfigMaps): copy just the paths
  // they edit and share the rest (metadata.managedFields, status, volumes...) with the request. Validate rules
  // never edit, so guarded objects are judged as they are.
  const draft = request.object && part ? editableCopy(request.object, first.shape) : request.object;
  const classified: Classified = part && draft && !wasHa ? classifyCopy(first, draft, patterns) : first;
  const flink = await flinkViewOf(classified, draft, namespace, ctx.cluster);
  return { request, namespace, classified, draft, editablePart: part, old: request.oldObject, flink, config: ctx.config, cluster: ctx.cluster };
}

function assemble(request: PolicyRequest, target: Target, raw: Finding[], mode: Mode, exemption: Exemption | undefined, subject: string): Decision {
  const adjusted = adjust(raw, mode, exemption, target.config.guardMode);
  const denied = adjusted.filter((f) => f.action === 'denied');
  const allowed = denied.length === 0;
  // A denied request is stored with no change: the denial says so once (status, and the faces' headers), not
  // every mutation line.
  const findings = adjusted;
  const mutated = allowed && findings.some((f) => f.action === 'mutated');
  const patch = mutated && request.object && target.draft && target.editablePart ? patchOf(request.object, target.draft, target.editablePart) : [];
  const warnings = mode === 'audit' ? [] : findings
    .filter((f) => f.action === 'mutated' || f.action === 'warned' || f.action === 'unchecked')
    .map((f) => `[${f.rule}] ${f.message}`);
  // An exempted admission says which exemption applied in its own note (modes.ts: legacy-exempt-label, flink-ha-exception).
  const auditAnnotations: Record<string, string> = {};
  for (const f of findings) {
    if (f.action === 'passed') continue;
    const prev = auditAnnotations[f.rule];
    auditAnnotations[f.rule] = truncate(prev ? `${prev}; ${f.action}: ${f.message}` : `${f.action}: ${f.message}`, 1000);
  }
  const decision: Decision = {
    allowed,
    patch,
    object: patch.length > 0 ? target.draft : request.object,
    findings,
    warnings,
    auditAnnotations,
    subject,
  };
  if (!allowed) {
    decision.status = {
      code: 403,
      message: `flink-ha-webhook denied ${describeObject(request.object ?? request.oldObject)}: ${denied
        .map((f) => `[${f.rule}] ${f.message}${f.fix ? `. Fix: ${f.fix}` : ''}`).join(' | ')}`,
    };
  }
  return decision;
}

/**
 * Guard findings on Flink resources answer to the guard mode and the config's exclusions only: an exempt label or a
 * namespace mode label, which the people the guard stops can set, must not open the front door.
 */
const GUARD_RULES: ReadonlySet<string> = new Set(['protect-flink-deployment']);
/** Notes about exemptions themselves: never exempted, never turned into "would" by a mode. */
const NOTE_RULES: ReadonlySet<string> = new Set(['flink-ha-exception', 'legacy-exempt-label']);

/** Exemptions turn every action into `exempt`; warn and audit modes turn mutations and denials into warnings. */
function adjust(findings: Finding[], workloadMode: Mode, workloadExemption: Exemption | undefined, guardMode: Mode): Finding[] {
  return findings.map((f) => {
    if (f.action === 'passed' || NOTE_RULES.has(f.rule)) return f;
    const guard = GUARD_RULES.has(f.rule);
    const mode = guard ? guardMode : workloadMode;
    // A label never opens the front door; an exception only exempts the workload rules it names.
    const exemption = (guard && workloadExemption?.byLabel) || (workloadExemption?.rules && !workloadExemption.rules.has(f.rule)) ? undefined : workloadExemption;
    if (exemption) return { ...f, action: 'exempt', message: `${f.message} (exempt: ${exemption.reason})` };
    if (mode === 'enforce') return f;
    if (f.action === 'mutated') return { ...f, action: 'warned', message: `would ${presentTense(f.message)} (${mode} mode)` };
    if (f.action === 'denied') return { ...f, action: 'warned', message: `would deny: ${f.message} (${mode} mode)` };
    return f;
  });
}

/** A mutation's message begins with what was done ("set ...", "added ..."); "would" takes the verb's base form. */
function presentTense(message: string): string {
  return message.replace(/^(added|removed|replaced|derived|bound)\b/, (verb) => ({ added: 'add', removed: 'remove', replaced: 'replace', derived: 'derive', bound: 'bind' })[verb] ?? verb);
}

function errorDecision(request: PolicyRequest, phase: Phase, ctx: PolicyContext, subject: string, message: string): Decision {
  // Validation protects HA data: fail closed. Mutation follows the configured failure policy.
  const action = phase === 'mutate' ? mutationErrorAction(ctx) : 'denied';
  const f = finding('policy-error', action, message, 'fix the object so it is a readable Kubernetes object');
  return assemble(request, bareTarget(request, ctx), [f], 'enforce', undefined, subject);
}

/** A target for a decision taken before the objects were read. */
function bareTarget(request: PolicyRequest, ctx: PolicyContext): Target {
  return {
    request, namespace: request.namespace ?? '', classified: { shape: 'other' }, draft: null, old: request.oldObject,
    config: ctx.config, cluster: ctx.cluster,
  };
}

function mutationErrorAction(ctx: PolicyContext): Finding['action'] {
  return ctx.config.mutationFailurePolicy === 'Fail' ? 'denied' : 'warned';
}

const EDITABLE_PART: Partial<Record<Classified['shape'], 'spec' | 'data'>> = {
  flinkdeployment: 'spec',
  workload: 'spec',
  'flink-config': 'data',
};

/**
 * A copy of an object in which every place a mutate rule writes to is the copy's own: the editable part's
 * top-level fields, a FlinkDeployment's jobManager and flinkConfiguration (nested writes), each container (rules
 * replace its args and env arrays, never edit them in place), and a ConfigMap's data.
 */
export function editableCopy(obj: KubeObject, shape: Classified['shape']): KubeObject {
  if (shape === 'flink-config') return { ...obj, data: isRecord(obj.data) ? { ...obj.data } : obj.data };
  if (!isRecord(obj.spec)) return { ...obj };
  const spec = obj.spec;
  if (shape === 'flinkdeployment') {
    if (obj.kind === 'FlinkBlueGreenDeployment') {
      // The rules edit the FlinkDeployment spec in spec.template.spec, which the operator derives blue and green from.
      const template = isRecord(spec.template) ? spec.template : {};
      return { ...obj, spec: { ...spec, template: { ...template, spec: copyFlinkSpec(template.spec) } } };
    }
    return { ...obj, spec: copyFlinkSpec(spec) };
  }
  if (obj.kind === 'Pod') return { ...obj, spec: copyPodSpec(spec) };
  const template = isRecord(spec.template) ? spec.template : {};
  return { ...obj, spec: { ...spec, template: { ...template, spec: copyPodSpec(template.spec) } } };
}

/** A FlinkDeployment spec whose jobManager and flinkConfiguration (the nested parts rules write into) are copies. */
function copyFlinkSpec(spec: unknown): unknown {
  if (!isRecord(spec)) return spec;
  return {
    ...spec,
    jobManager: isRecord(spec.jobManager) ? { ...spec.jobManager } : spec.jobManager,
    flinkConfiguration: isRecord(spec.flinkConfiguration) ? JSON.parse(JSON.stringify(spec.flinkConfiguration)) as unknown : spec.flinkConfiguration,
  };
}

function copyPodSpec(podSpec: unknown): unknown {
  if (!isRecord(podSpec)) return podSpec;
  const containers = Array.isArray(podSpec.containers) ? podSpec.containers.map((c: unknown) => (isRecord(c) ? { ...c } : c)) : podSpec.containers;
  return { ...podSpec, containers };
}

/**
 * classify(draft), for a draft made by editableCopy from the object `first` classified. A workload's copy has the
 * original's content with its pod spec and containers copied in place, so the classification is the same with its
 * references moved into the copy; a config ConfigMap's holds no references. FlinkDeployments are classified again:
 * their flinkConfiguration is copied through JSON, which can change what a YAML manifest held (dates, say).
 */
export function classifyCopy(first: Classified, draft: KubeObject, patterns: RegExp[]): Classified {
  if (first.shape === 'flink-config') return first;
  if (first.shape === 'workload') {
    const podSpec = first.controller === 'Pod' ? draft.spec : isRecord(draft.spec) && isRecord(draft.spec.template) ? draft.spec.template.spec : undefined;
    const at = first.podSpec.containers.indexOf(first.container);
    if (isRecord(podSpec) && Array.isArray(podSpec.containers) && at >= 0 && isRecord(podSpec.containers[at])) {
      return { ...first, podSpec: podSpec as unknown as typeof first.podSpec, container: podSpec.containers[at] as unknown as typeof first.container };
    }
  }
  return classify(draft, patterns);
}

/** The JSON patch of the one part the rules may edit, with paths from the object's root. */
function patchOf(original: KubeObject, draft: KubeObject, part: 'spec' | 'data'): JsonPatchOperation[] {
  const before = original[part];
  const after = draft[part];
  if (before === undefined || before === null || typeof before !== 'object') {
    return after === undefined ? [] : [{ op: 'add', path: `/${part}`, value: after }];
  }
  return diffJson(before, after, `/${part}`);
}

function imagePatternsOf(patterns: string[]): RegExp[] {
  let compiled = imagePatternCache.get(patterns);
  if (!compiled) {
    compiled = patterns.map((p) => new RegExp(p));
    imagePatternCache.set(patterns, compiled);
  }
  return compiled;
}

function describe(subject: string, c: Classified): string {
  switch (c.shape) {
    case 'workload': return `${subject} (${c.mode} ${c.role}${c.controller === 'Pod' ? ' pod' : ''})`;
    case 'flink-config': return `${subject} (Flink config, ${c.fileKey})`;
    case 'ha-configmap': return `${subject} (HA ConfigMap)`;
    default: return subject;
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
