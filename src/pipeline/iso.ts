/**
 * The `iso` command as a list of steps (DESIGN.md), each a typed function of
 * isoSteps.ts: load → resolve → plan → preflight → apply → (build → verify → publish).
 */
import { join } from 'node:path';
import type { Plan } from '../core/plan.js';
import type { Check } from '../core/preflight/checks.js';
import { cleanValue } from '../core/secrets.js';
import { isoTargetIssue, targetKind } from '../core/targets.js';
import { InputError } from '../errors.js';
import { displayUrl } from '../adapters/git.js';
import type { IsoOptions } from './options.js';
import { buildKeyOf, builtResult, reportFailure, upToDateResult, type BuiltResult } from './outcome.js';
import type { ProgressStream } from './renderer.js';
import { tagRulesStep } from './tagRules.js';
import { beginRun, buildStep, checkoutStep, loadStep, planStep, preflightStep, publishOutputsStep, publishStep, resolveStep, upToDateStep, verifyOutputsStep, verifyStep } from './isoSteps.js';

export interface PlannedResult {
  status: 'planned';
  tag: string;
  commit: string;
  peVersion: string | null;
  repo: string;
  canvosDir: string;
  target: string;
  command: string[];
  userData: { source: string; sourceSha256: string; path: string; sha256: string; imageRedirectWebhook: boolean };
  arg: Record<string, string>;
  checks: Check[];
  warnings: string[];
}

export function plannedResult(plan: Plan, warnings: string[], checks: Check[] = []): PlannedResult {
  return {
    status: 'planned',
    tag: plan.tag,
    commit: plan.commit,
    peVersion: plan.peVersion ?? null,
    repo: displayUrl(plan.repo),
    canvosDir: plan.canvosDir,
    target: plan.target,
    command: plan.command.map((c) => cleanValue(c, plan.secrets)),
    userData: { ...plan.userData, path: join(plan.canvosDir, 'user-data') },
    arg: Object.fromEntries(Object.entries(plan.arg).map(([k, v]) => [k, cleanValue(v, plan.secrets)])),
    checks,
    warnings,
  };
}

export interface IsoRun {
  options: IsoOptions;
  stderr: ProgressStream;
  /** Called for each warning as soon as it is known. */
  onWarning?: (warning: string) => void;
}

/** --target-unverified: a target edgebuild cannot verify ran and exited 0; nothing was checked or published. */
export interface UnverifiedResult {
  status: 'unverified';
  tag: string;
  commit: string;
  target: string;
  log: string;
  durationMs: number;
  warnings: string[];
}

export type IsoResult = PlannedResult | BuiltResult | UnverifiedResult;

/** Exit 2 for a target the ISO flow cannot verify; a loud warning when --target-unverified runs it anyway. */
function checkTarget(target: string, unverified: boolean, warn: (w: string) => void): boolean {
  const issue = isoTargetIssue(target, unverified);
  if (issue) throw new InputError(issue.message, { code: 'target', fix: issue.fix });
  // Only a target edgebuild cannot verify runs unverified: one it can is verified as always.
  const skipVerify = unverified && targetKind(target) === 'unknown';
  if (skipVerify) warn(`UNVERIFIED: --target-unverified runs ${target} with only its exit status checked; edgebuild verifies and publishes nothing of its output`);
  else if (unverified) warn(`--target-unverified has no effect on ${target}: its output is verified as always`);
  return skipVerify;
}

/** The steps' titles before they run; a step retitles its task with what it found. */
const TITLE = {
  load: 'Load build config and user-data',
  resolve: 'Resolve CanvOS source',
  tagRules: "Check .arg against the tag's own rules",
  plan: 'Plan the build',
  upToDate: 'Look for an up-to-date build in --out',
  preflight: 'Check the build host',
  checkout: 'Prepare the CanvOS checkout',
  build: 'Build with earthly.sh',
  verify: 'Verify the ISO (exit status, checksum, embedded user-data)',
  verifyOutputs: (target: string): string => `Verify what ${target} wrote (exit status, every output present${target === '+maas-image' ? ', checksum' : ''})`,
  publish: 'Publish into --out',
};

/** load → resolve → tag rules → plan → (up to date?) → preflight → checkout → (build → verify → publish). */
export async function runIso({ options, stderr, onWarning }: IsoRun): Promise<IsoResult> {
  const { startedAt, warnings, warn, steps } = beginRun(options, stderr, onWarning);
  const { signal } = options;
  const building = !options.dryRun;
  try {
    const inputs = await steps.run(TITLE.load, () => loadStep(options, warn));
    const unverified = checkTarget(inputs.target, options.targetUnverified === true, warn);
    const verifyTitle = targetKind(inputs.target) === 'iso' ? TITLE.verify : TITLE.verifyOutputs(inputs.target);
    const source = await steps.run(TITLE.resolve, (task) => resolveStep(inputs, { signal, warn }, task));
    // k8s_version.json, earthly.sh's Ubuntu Pro handling: exit 2 here, before anything slow.
    const argSecrets = await steps.run(TITLE.tagRules, () => tagRulesStep(inputs, source, options.env, warn));
    const plan = await steps.run(TITLE.plan, () => planStep({ ...inputs, argSecrets }, source));
    const found = building && !options.force && !unverified ? await steps.run(TITLE.upToDate, (task) => upToDateStep(plan, inputs, signal, warn, task)) : undefined;
    if (found?.upToDate) {
      await steps.skip([TITLE.preflight, TITLE.checkout, TITLE.build, verifyTitle, TITLE.publish]);
      return upToDateResult(found.upToDate, inputs.outDir, startedAt, warnings);
    }
    const preflight = await steps.run(TITLE.preflight, (task) => preflightStep(inputs, options, warn, task));
    const release = await steps.run(TITLE.checkout, (task) => checkoutStep({ plan, dirs: inputs, source }, options, warn, task));
    try {
      if (!building) return plannedResult(plan, warnings, preflight.checks);
      const keyed = found ?? (await buildKeyOf(plan, signal, inputs.cacheDir));
      const built = await steps.run(TITLE.build, (task) => buildStep({ plan, dirs: inputs, buildKey: keyed.buildKey }, options, { stderr, warn }, task));
      if ('upToDate' in built) {
        await steps.skip([verifyTitle, TITLE.publish]);
        return upToDateResult(built.upToDate, inputs.outDir, startedAt, warnings);
      }
      if (unverified) {
        await steps.skip([verifyTitle, TITLE.publish]);
        return { status: 'unverified', tag: plan.tag, commit: plan.commit, target: plan.target, log: built.build.logPath, durationMs: Date.now() - startedAt.getTime(), warnings };
      }
      const publishing = { plan, outDir: inputs.outDir, keyed, preflight, startedAt };
      let published;
      if (targetKind(plan.target) === 'iso') {
        const verified = await steps.run(TITLE.verify, (task) => verifyStep(plan, built.build, signal, task));
        published = await steps.run(TITLE.publish, (task) => publishStep({ ...publishing, verified }, signal, task));
      } else {
        const verified = await steps.run(verifyTitle, (task) => verifyOutputsStep(plan, built.build, signal, task));
        published = await steps.run(TITLE.publish, (task) => publishOutputsStep({ ...publishing, verified }, signal, task));
      }
      return builtResult({ plan, published, build: built.build, startedAt, buildKey: keyed.buildKey, warnings });
    } finally {
      await release(); // the work dir's lock, taken before the checkout was touched
    }
  } catch (error) {
    reportFailure(stderr, options.env, error);
    throw error;
  }
}
