/**
 * `edgebuild matrix`: read the build configs (named, or every one in
 * build-configs/) and turn them into a GitHub Actions build matrix.
 */
import { dirname, resolve } from 'node:path';
import { DEFAULT_ARGS } from '../core/argFile.js';
import { parseBuildConfig, type BuildConfig } from '../core/buildConfig.js';
import { buildMatrix, fanOutProviderImages, selectBuildConfigs, type CandidateFile, type Matrix, type ProviderMatrixEntry } from '../core/matrix.js';
import { chooseVersions, providerTarget } from '../core/providerImages.js';
import { defaultCacheDir } from '../adapters/cacheDir.js';
import { listDir, readUserFile } from '../adapters/files.js';
import { DEFAULT_REPO, normalizeRepo } from '../adapters/git.js';
import { InputError, inputErrorAt } from '../errors.js';
import { resolveSource } from './source.js';
import { readTagRules } from './tagRules.js';

export const CONFIG_DIR = 'build-configs';

export interface MatrixInput {
  /** Files named on the command line; empty: every build config in build-configs/. */
  files: string[];
  cwd: string;
  onSkipped: (file: string, reason: string) => void;
}

/** build-configs/*.yaml (and *.yml), sorted so the matrix is stable, with the folder's other file names. */
async function defaultCandidates(cwd: string): Promise<{ files: CandidateFile[]; siblings: string[] }> {
  const names = await listDir(resolve(cwd, CONFIG_DIR));
  if (names === undefined) {
    throw new InputError(`${CONFIG_DIR}/ does not exist in ${cwd}`, {
      code: 'matrix-empty',
      fix: `run edgebuild matrix from the folder that holds ${CONFIG_DIR}/, or name the config files`,
    });
  }
  const yaml = names.filter((n) => /\.ya?ml$/i.test(n));
  const files = await Promise.all(
    yaml.map(async (n) => ({ file: `${CONFIG_DIR}/${n}`, source: await readUserFile(resolve(cwd, CONFIG_DIR, n), 'build config', `${CONFIG_DIR}/${n}`) })),
  );
  return { files, siblings: names };
}

export async function matrixOf(input: MatrixInput): Promise<Matrix> {
  return buildMatrix(await readConfigs(input));
}

/** The build configs named, or the default ones, validated. */
async function readConfigs(input: MatrixInput): Promise<{ file: string; config: BuildConfig }[]> {
  let configs: CandidateFile[];
  if (input.files.length > 0) {
    // Files named on the command line are build configs by definition: no skipping.
    configs = await Promise.all(input.files.map(async (file) => ({ file, source: await readUserFile(resolve(input.cwd, file), 'build config', file) })));
  } else {
    const { files, siblings } = await defaultCandidates(input.cwd);
    const selection = selectBuildConfigs(files, siblings);
    selection.skipped.forEach((s) => input.onSkipped(s.file, s.reason));
    configs = selection.configs;
  }
  return configs.map(({ file, source }) => ({ file, config: parseBuildConfig(source, file) }));
}

export interface ProviderMatrixInput extends MatrixInput {
  env: Record<string, string | undefined>;
  cacheDir: string | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * `edgebuild matrix --provider-images`: one entry per (config, Kubernetes
 * version), the versions from each config's K8S_VERSION or its tag's
 * k8s_version.json, so a release builds them on parallel runners.
 */
export async function providerMatrixOf(input: ProviderMatrixInput): Promise<{ include: ProviderMatrixEntry[] }> {
  const configs = await readConfigs(input);
  const base = buildMatrix(configs);
  const cacheDir = resolve(input.cwd, input.cacheDir ?? defaultCacheDir(input.env));
  const include: ProviderMatrixEntry[] = [];
  for (const [i, { file, config }] of configs.entries()) {
    const entry = base.include[i];
    if (!entry) continue;
    const repo = normalizeRepo(config.canvos?.repo ?? DEFAULT_REPO, dirname(resolve(input.cwd, file)));
    const source = await resolveSource(repo, entry.tag, cacheDir, { signal: input.signal });
    const rules = readTagRules(source);
    const arg = { ...DEFAULT_ARGS, ...config.arg };
    const choice = chooseVersions([], arg, rules);
    if ('error' in choice) throw inputErrorAt({ file }, choice.error, { code: 'matrix-k8s', fix: `set arg.K8S_VERSION in ${file}, or ${choice.fix}` });
    include.push(...fanOutProviderImages(entry, { tag: source.tag, target: providerTarget(arg), versions: choice.versions }));
  }
  return { include };
}
