/**
 * The rules a CanvOS tag states in its own files (k8s_version.json,
 * earthly.sh), read from the cached mirror at the tag's commit, and the
 * check of the build's `.arg` values against them (exit 2 before anything
 * slow: the checkout, preflight and the build come after).
 */
import { InputError } from '../errors.js';
import type { ArgValues } from '../core/argFile.js';
import { FALLBACK_DISTRIBUTIONS, checkK8sArgs, checkUbuntuPro, handlesUbuntuProAttach, parseK8sVersions, ubuntuProSecrets, type TagRules } from '../core/tagRules.js';
import { resolve } from 'node:path';
import { DEFAULT_REPO, displayUrl, normalizeRepo } from '../adapters/git.js';
import { defaultCacheDir } from '../adapters/cacheDir.js';
import type { TagsInput } from './tags.js';
import type { Inputs } from './inputs.js';
import { resolveSource, type Source } from './source.js';

/** The rules from the tag's files, read when the source was resolved. */
export function readTagRules({ tag, files }: Pick<Source, 'tag' | 'files'>): TagRules {
  const versionsText = files.get('k8s_version.json');
  const earthlySh = files.get('earthly.sh');
  const rules: TagRules = { tag, k8sVersions: undefined, ubuntuProFromEnv: handlesUbuntuProAttach(earthlySh) };
  if (versionsText === undefined) return { ...rules, k8sVersionsMissing: 'the tag has no k8s_version.json' };
  const parsed = parseK8sVersions(versionsText);
  return 'versions' in parsed ? { ...rules, k8sVersions: parsed.versions } : { ...rules, k8sVersionsMissing: `its k8s_version.json is unreadable: ${parsed.error}` };
}

/**
 * Throws InputError (exit 2) for the first `.arg` value the tag does not
 * allow; `where(key)` names where the value came from. Returns warnings.
 */
export function assertTagRules(arg: ArgValues, rules: TagRules, env: Record<string, string | undefined>, where: (key: string) => string): string[] {
  const k8s = checkK8sArgs(arg, rules);
  const issue = [...k8s.errors, ...checkUbuntuPro(arg, rules, env)][0];
  if (issue) throw new InputError(`${where(issue.key)}: ${issue.message}`, { code: 'arg-tag', fix: issue.fix, details: { tag: rules.tag, key: issue.key } });
  return k8s.warnings;
}

/**
 * The iso step between resolve and plan: the tag's rules checked (exit 2),
 * their warnings told; returns the values that are secrets, the Ubuntu Pro
 * token included wherever it comes from.
 */
export async function tagRulesStep(inputs: Pick<Inputs, 'arg' | 'argSecrets' | 'argSource'>, source: Pick<Source, 'tag' | 'files'>, env: Record<string, string | undefined>, warn: (w: string) => void): Promise<string[]> {
  return (await checkedTagRules(inputs, source, env, warn)).argSecrets;
}

/** tagRulesStep, also returning the rules (provider images choose their versions from them). */
export async function checkedTagRules(inputs: Pick<Inputs, 'arg' | 'argSecrets' | 'argSource'>, source: Pick<Source, 'tag' | 'files'>, env: Record<string, string | undefined>, warn: (w: string) => void): Promise<{ rules: TagRules; argSecrets: string[] }> {
  const rules = readTagRules(source);
  assertTagRules(inputs.arg, rules, env, inputs.argSource).forEach(warn);
  return { rules, argSecrets: [...inputs.argSecrets, ...ubuntuProSecrets(inputs.arg, env)] };
}

export interface VersionsReport {
  repo: string;
  tag: string;
  commit: string;
  /** "k8s_version.json", or "built-in" when the tag has none (versions then unknown). */
  source: 'k8s_version.json' | 'built-in';
  distributions: Record<string, string[] | null>;
  ubuntuProFromEnv: boolean;
  warnings: string[];
}

/** `edgebuild versions --tag`: what the tag's k8s_version.json lists, per distribution. */
export async function tagVersions(input: TagsInput & { tag: string }): Promise<VersionsReport> {
  const repo = normalizeRepo(input.repo ?? DEFAULT_REPO, input.cwd);
  const cacheDir = resolve(input.cwd, input.cacheDir ?? defaultCacheDir(input.env));
  const source = await resolveSource(repo, input.tag, cacheDir, { signal: input.signal, onRetry: input.onRetry, onWait: input.onWarning });
  const rules = readTagRules(source);
  return {
    repo: displayUrl(repo),
    tag: source.tag,
    commit: source.commit,
    source: rules.k8sVersions ? 'k8s_version.json' : 'built-in',
    distributions: rules.k8sVersions ?? Object.fromEntries(FALLBACK_DISTRIBUTIONS.map((d) => [d, null])),
    ubuntuProFromEnv: rules.ubuntuProFromEnv,
    warnings: [...source.warnings, ...checkK8sArgs({}, rules).warnings],
  };
}
