/**
 * What a CanvOS tag itself allows, judged against the `.arg` values: the
 * Kubernetes distributions and versions its `k8s_version.json` lists, and
 * how its `earthly.sh` takes the Ubuntu Pro token. The rules come from the
 * tag's own files, never from a list in edgebuild that goes stale. Pure.
 */
import type { ArgValues } from './argFile.js';

/** `k8s_version.json`: distribution → the Kubernetes versions the tag builds for it. */
export type K8sVersions = Record<string, string[]>;

/**
 * The distributions edgebuild knew before it read each tag's file (CanvOS
 * v4.5's keys); used only for tags without a `k8s_version.json`.
 */
export const FALLBACK_DISTRIBUTIONS: readonly string[] = ['k3s', 'rke2', 'kubeadm', 'kubeadm-fips', 'nodeadm'];

export interface TagRules {
  tag: string;
  /** From the tag's k8s_version.json; undefined when the tag has none (or an unreadable one). */
  k8sVersions: K8sVersions | undefined;
  /** Why k8sVersions is undefined. */
  k8sVersionsMissing?: string;
  /**
   * The tag's earthly.sh reads UBUNTU_PRO_ATTACH: it then takes UBUNTU_PRO_KEY
   * from its environment only (and prompts on /dev/tty or fails without it).
   */
  ubuntuProFromEnv: boolean;
}

export interface RuleIssue {
  key: string;
  message: string;
  fix: string;
}

/** Parses `k8s_version.json`: an object of string arrays, or why it is not one. */
export function parseK8sVersions(text: string): { versions: K8sVersions } | { error: string } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { error: `it is not JSON (${error instanceof Error ? error.message : String(error)})` };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return { error: 'it is not an object of distribution → versions' };
  const versions: K8sVersions = {};
  for (const [key, list] of Object.entries(data)) {
    if (!Array.isArray(list) || !list.every((v) => typeof v === 'string')) return { error: `its "${key}" is not a list of version strings` };
    versions[key] = list as string[];
  }
  return { versions };
}

/** The script text handles UBUNTU_PRO_ATTACH itself (CanvOS v4.10.0 and later do). */
export function handlesUbuntuProAttach(earthlySh: string | undefined): boolean {
  return earthlySh !== undefined && /^[^#\n]*\bUBUNTU_PRO_ATTACH\b/m.test(earthlySh);
}

const numbers = (version: string): number[] => version.replace(/^v/, '').split(/[.+-]/).map((p) => Number.parseInt(p, 10) || 0);

/** Distance between two versions: major, then minor; patch counts only within the same minor. */
function distance(a: string, b: string): number {
  const [x0 = 0, x1 = 0, x2 = 0] = numbers(a);
  const [y0 = 0, y1 = 0, y2 = 0] = numbers(b);
  return Math.abs(x0 - y0) * 1e6 + Math.abs(x1 - y1) * 1e3 + (x0 === y0 && x1 === y1 ? Math.min(999, Math.abs(x2 - y2)) : 0);
}

/** Up to `count` allowed values closest to `wanted`, in the order the tag lists them. */
export function nearestVersions(wanted: string, allowed: readonly string[], count = 3): string[] {
  const ranked = [...allowed].sort((a, b) => distance(wanted, a) - distance(wanted, b));
  const keep = new Set(ranked.slice(0, count));
  return allowed.filter((v) => keep.has(v));
}

/**
 * K8S_DISTRIBUTION must be a key of the tag's k8s_version.json and
 * K8S_VERSION, when set, one of that distribution's versions. Without the
 * file only the distribution is checked, against FALLBACK_DISTRIBUTIONS,
 * with a warning saying so.
 */
export function checkK8sArgs(arg: ArgValues, rules: TagRules): { errors: RuleIssue[]; warnings: string[] } {
  const distribution = arg.K8S_DISTRIBUTION;
  const version = arg.K8S_VERSION;
  const listing = `edgebuild versions --tag ${rules.tag} lists them`;
  if (!rules.k8sVersions) {
    const warnings = [`${rules.tag} has no usable k8s_version.json (${rules.k8sVersionsMissing ?? 'not found'}); K8S_DISTRIBUTION is checked against edgebuild's built-in list and K8S_VERSION is not checked`];
    if (distribution !== undefined && !FALLBACK_DISTRIBUTIONS.includes(distribution)) {
      return { errors: [{ key: 'K8S_DISTRIBUTION', message: `K8S_DISTRIBUTION=${distribution} is not one of ${FALLBACK_DISTRIBUTIONS.join(', ')}`, fix: `set K8S_DISTRIBUTION to one of ${FALLBACK_DISTRIBUTIONS.join(', ')}` }], warnings };
    }
    return { errors: [], warnings };
  }
  const distributions = Object.keys(rules.k8sVersions);
  if (distribution === undefined || distribution === '') return { errors: [], warnings: [] };
  const versions = rules.k8sVersions[distribution];
  if (!versions) {
    return {
      errors: [{ key: 'K8S_DISTRIBUTION', message: `K8S_DISTRIBUTION=${distribution} is not a distribution CanvOS ${rules.tag} builds (its k8s_version.json has ${distributions.join(', ')})`, fix: `set K8S_DISTRIBUTION to one of ${distributions.join(', ')}` }],
      warnings: [],
    };
  }
  if (version !== undefined && version !== '' && !versions.includes(version)) {
    const near = nearestVersions(version, versions);
    return {
      errors: [{ key: 'K8S_VERSION', message: `K8S_VERSION=${version} is not a ${distribution} version CanvOS ${rules.tag} builds (k8s_version.json)`, fix: `set K8S_VERSION to one of the nearest, ${near.join(', ')}, or leave it unset to build them all; ${listing}` }],
      warnings: [],
    };
  }
  return { errors: [], warnings: [] };
}

/**
 * Ubuntu Pro: on a tag whose earthly.sh takes the token from its environment,
 * a token in `.arg` is refused (earthly.sh warns that it leaks through the
 * build cache) and, with UBUNTU_PRO_ATTACH=true, the token must be in
 * edgebuild's environment — else earthly.sh would prompt on /dev/tty or fail
 * deep inside the build.
 */
export function checkUbuntuPro(arg: ArgValues, rules: TagRules, env: Record<string, string | undefined>): RuleIssue[] {
  if (!rules.ubuntuProFromEnv) return [];
  if (arg.UBUNTU_PRO_KEY !== undefined) {
    return [{ key: 'UBUNTU_PRO_KEY', message: `UBUNTU_PRO_KEY must not be in .arg for CanvOS ${rules.tag}: its earthly.sh takes the token from the environment only (a token in .arg leaks through the build cache)`, fix: 'remove UBUNTU_PRO_KEY from the build config and --arg, and export UBUNTU_PRO_KEY=... (in CI: from a secret)' }];
  }
  if (arg.UBUNTU_PRO_ATTACH === 'true' && !env.UBUNTU_PRO_KEY) {
    return [{ key: 'UBUNTU_PRO_ATTACH', message: `UBUNTU_PRO_ATTACH=true but UBUNTU_PRO_KEY is not set in the environment; CanvOS ${rules.tag} reads the Ubuntu Pro token from there only`, fix: 'export UBUNTU_PRO_KEY=... (in CI: from a secret), or set UBUNTU_PRO_ATTACH=false' }];
  }
  return [];
}

/** The Ubuntu Pro token the build will see, a secret wherever it comes from. */
export function ubuntuProSecrets(arg: ArgValues, env: Record<string, string | undefined>): string[] {
  return [arg.UBUNTU_PRO_KEY, env.UBUNTU_PRO_KEY].filter((v): v is string => Boolean(v));
}
