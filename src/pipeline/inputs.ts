/**
 * Step 1: load and validate every input before anything slow happens.
 * Fails with exit 2; reads the user's files and looks at the directories
 * it will write (--out, --work-dir, the cache dir), never writes them.
 */
import { existsSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { InputError, inputErrorAt } from '../errors.js';
import { DEFAULT_ARGS, checkArgs, parseArgFlag, type ArgValues } from '../core/argFile.js';
import { parseBuildConfig, type BuildConfig } from '../core/buildConfig.js';
import { DEFAULT_TARGET, TARGET_PATTERN } from '../core/plan.js';
import { prepareUserData, type PreparedUserData } from '../core/userData.js';
import { MissingValueError, UnknownPlaceholderError, expand, redact } from '../core/placeholders.js';
import { readUserFile } from '../adapters/files.js';
import { DEFAULT_REPO, defaultCacheDir, normalizeRepo } from '../adapters/git.js';
import type { IsoOptions } from './options.js';
import { checkIsoDirs } from './isoDirs.js';
import { refuseForeignManifest } from './publish.js';

export interface Inputs {
  config: BuildConfig;
  configFile: string | undefined;
  repo: string;
  tag: string;
  target: string;
  arg: ArgValues;
  /** Values substituted into `arg` from the environment. */
  argSecrets: string[];
  userData: PreparedUserData & { source: string };
  files: { from: string; to: string }[];
  cacheDir: string;
  workDir: string;
  outDir: string;
  warnings: string[];
}

export const DEFAULT_CONFIG = 'build-configs/default.yaml';

/** The build config named by --config, else build-configs/default.yaml when present. */
export async function loadConfig(options: Pick<IsoOptions, 'config' | 'cwd'>): Promise<{ config: BuildConfig; file: string | undefined }> {
  const file = options.config ? resolve(options.cwd, options.config) : resolve(options.cwd, DEFAULT_CONFIG);
  if (!options.config && !existsSync(file)) return { config: {}, file: undefined };
  const shown = options.config ?? DEFAULT_CONFIG;
  const source = await readUserFile(file, 'build config', shown);
  return { config: parseBuildConfig(source, shown), file };
}

export async function loadInputs(options: IsoOptions): Promise<Inputs> {
  const warnings: string[] = [];
  const { config, file: configFile } = await loadConfig(options);
  const shownConfig = options.config ?? DEFAULT_CONFIG;
  const configDir = configFile ? dirname(configFile) : options.cwd;

  const tag = options.tag ?? config.canvos?.tag;
  if (!tag) {
    throw new InputError('no CanvOS tag given', { code: 'no-tag', fix: 'pass --tag vX.Y.Z (or --tag latest), or set canvos.tag in the build config' });
  }
  if (options.target !== undefined && !TARGET_PATTERN.test(options.target)) {
    throw new InputError(`--target ${JSON.stringify(options.target)} is not an Earthly target`, { code: 'usage', fix: 'write it as + and a name, e.g. --target +iso' });
  }
  const repo = normalizeRepo(options.repo ?? config.canvos?.repo ?? DEFAULT_REPO, options.repo ? options.cwd : configDir);

  // .arg: CanvOS defaults < build config < --arg flags.
  const arg: ArgValues = { ...DEFAULT_ARGS, ...config.arg };
  for (const flag of options.arg ?? []) {
    const parsed = parseArgFlag(flag);
    if (!parsed) throw new InputError(`--arg ${JSON.stringify(flag)} is not KEY=VALUE`, { code: 'usage', fix: 'write it as --arg KEY=VALUE, e.g. --arg K8S_DISTRIBUTION=rke2' });
    arg[parsed[0]] = parsed[1];
  }
  const argSource = (key: string): string =>
    (options.arg ?? []).some((f) => f.startsWith(`${key}=`)) ? `--arg ${key}` : configFile ? `${shownConfig}: arg.${key}` : key;
  // ${env:NAME} in a value (a proxy password, say) comes from the environment and is a secret.
  const argSecrets: string[] = [];
  for (const [key, value] of Object.entries(arg)) {
    if (!value.includes('${')) continue;
    try {
      const expanded = expand(value, { env: (name) => options.env[name] });
      arg[key] = expanded.text;
      argSecrets.push(...expanded.secrets);
    } catch (error) {
      if (error instanceof MissingValueError) {
        throw new InputError(`${argSource(key)}: environment variable ${error.key} is not set`, { code: 'arg-env', fix: `export ${error.key}=... (in CI: pass it from a secret)`, details: { variable: error.key } });
      }
      if (error instanceof UnknownPlaceholderError) {
        throw new InputError(`${argSource(key)}: unknown placeholder ${error.placeholder}`, { code: 'arg-placeholder', fix: 'use ${env:NAME} for an environment variable' });
      }
      throw error;
    }
  }
  const checked = checkArgs(arg);
  const argError = checked.errors[0];
  if (argError) {
    const fromFlag = (options.arg ?? []).some((f) => f.startsWith(`${argError.key}=`));
    const where = fromFlag ? `--arg ${argError.key}` : configFile ? shownConfig : 'defaults';
    throw new InputError(`${where}: ${redact(argError.message, argSecrets)}`, { code: 'arg-invalid', fix: argError.fix });
  }
  warnings.push(...checked.warnings.map((w) => w.message));

  const userDataPath = options.userData ? resolve(options.cwd, options.userData) : config.userData ? resolve(configDir, config.userData) : undefined;
  if (!userDataPath) {
    throw new InputError('no user-data given', { code: 'no-user-data', fix: 'pass --user-data <file>, or set userData: in the build config' });
  }
  // Messages name the file as the user can open it from where they ran edgebuild,
  // not relative to the config file that named it.
  const shownUserData = options.userData ?? relative(options.cwd, userDataPath);
  const source = await readUserFile(userDataPath, 'user-data', shownUserData);
  const prepared = prepareUserData(source, shownUserData, { keepWebhook: Boolean(options.keepWebhook ?? config.keepWebhook), env: options.env });
  warnings.push(...prepared.warnings);

  const files = (config.files ?? []).map((f) => {
    const from = resolve(configDir, f.from);
    if (!existsSync(from)) {
      throw inputErrorAt({ file: shownConfig }, `files: "${f.from}" does not exist (resolved to ${from})`, { code: 'config-files', fix: 'paths in files: are relative to the build config file' });
    }
    return { from, to: f.to };
  });

  const cacheDir = resolve(options.cwd, options.cacheDir ?? defaultCacheDir(options.env));
  const workDir = resolve(options.cwd, options.workDir ?? '.edgebuild');
  const outDir = resolve(options.cwd, options.out ?? 'dist');
  await checkIsoDirs({ out: outDir, work: workDir, cache: cacheDir });
  await refuseForeignManifest(outDir);

  return {
    config,
    configFile,
    repo,
    tag,
    target: options.target ?? config.target ?? DEFAULT_TARGET,
    arg,
    argSecrets,
    userData: { ...prepared, source: userDataPath },
    files,
    cacheDir,
    workDir,
    outDir,
    warnings,
  };
}
