/**
 * `edgebuild matrix`: build configs → a GitHub Actions `strategy.matrix`. Pure:
 * the command reads the files, this decides which are build configs and what
 * each matrix entry holds.
 */
import { InputError, inputErrorAt } from '../errors.js';
import type { BuildConfig } from './buildConfig.js';
import { DEFAULT_TARGET } from './plan.js';

export interface MatrixEntry {
  /** The config file as the user (or the default glob) named it, with forward slashes. */
  config: string;
  name: string;
  tag: string;
  target: string;
}

export interface Matrix {
  include: MatrixEntry[];
}

/** The schema file of build configs; any other declared schema means "not a build config". */
export const BUILD_SCHEMA_FILE = 'build-config.schema.json';

/** Same rule as the schema's `name` pattern: safe for job names, artifact names and file names. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * The schema a YAML file declares for itself, if any: a top-level `$schema:` key,
 * or a `# yaml-language-server: $schema=…` modeline (what editors read).
 */
export function declaredSchema(source: string): string | undefined {
  const modeline = /^#\s*yaml-language-server:\s*\$schema=(\S+)/m.exec(source);
  if (modeline) return modeline[1];
  const key = /^\$schema:[ \t]*(?:"([^"]*)"|'([^']*)'|([^\s#]+))/m.exec(source);
  return key ? (key[1] ?? key[2] ?? key[3]) : undefined;
}

function baseName(path: string): string {
  return path.replace(/[?#].*$/, '').split('/').at(-1) ?? '';
}

/** `lab.yaml` → `lab`. */
export function stem(file: string): string {
  return baseName(file.replaceAll('\\', '/')).replace(/\.ya?ml$/i, '');
}

export interface CandidateFile {
  /** Path shown to the user, e.g. build-configs/lab.yaml. */
  file: string;
  source: string;
}

export interface Selection {
  configs: CandidateFile[];
  skipped: { file: string; reason: string }[];
}

/**
 * Which YAML files of a build-configs folder are build configs. Other inputs
 * live there too (registries.yaml). A file is skipped only when it says it is
 * something else: it declares another schema, or a schema named after it sits
 * beside it (registries.yaml + registries.schema.json). Everything else is a
 * build config and must validate, so a typo never drops a build silently.
 *
 * @param siblings names of the other files in the same folder
 */
export function selectBuildConfigs(files: CandidateFile[], siblings: readonly string[]): Selection {
  const selection: Selection = { configs: [], skipped: [] };
  const present = new Set(siblings);
  for (const candidate of files) {
    const schema = declaredSchema(candidate.source);
    if (schema !== undefined) {
      if (baseName(schema) === BUILD_SCHEMA_FILE) selection.configs.push(candidate);
      else selection.skipped.push({ file: candidate.file, reason: `declares schema ${schema}` });
      continue;
    }
    const own = `${stem(candidate.file)}.schema.json`;
    if (own !== BUILD_SCHEMA_FILE && present.has(own)) {
      selection.skipped.push({ file: candidate.file, reason: `${own} beside it describes it` });
      continue;
    }
    selection.configs.push(candidate);
  }
  return selection;
}

/** One matrix entry per validated build config; names must be unique (they name jobs and release assets). */
export function buildMatrix(configs: { file: string; config: BuildConfig }[]): Matrix {
  if (configs.length === 0) {
    throw new InputError('no build configs to put in the matrix', {
      code: 'matrix-empty',
      fix: 'add a build config under build-configs/ or name config files on the command line',
    });
  }
  const byName = new Map<string, string>();
  const include = configs.map(({ file, config }) => {
    const name = config.name ?? stem(file);
    if (!NAME.test(name)) {
      throw inputErrorAt({ file }, `the build name "${name}" (from the file name) is not usable as a job or asset name`, {
        code: 'matrix-name',
        fix: 'set name: to letters, digits, ".", "_" and "-" only',
      });
    }
    const other = byName.get(name);
    if (other !== undefined) {
      throw inputErrorAt({ file }, `the build name "${name}" is also used by ${other}`, {
        code: 'matrix-duplicate',
        fix: 'give each build config its own name:',
      });
    }
    byName.set(name, file);
    const tag = config.canvos?.tag;
    if (!tag) {
      throw inputErrorAt({ file }, 'canvos.tag is not set; a release build must say which CanvOS tag it builds', {
        code: 'matrix-no-tag',
        fix: 'set canvos.tag: to a tag such as v4.5.15 (or "latest")',
      });
    }
    return { config: file.replaceAll('\\', '/'), name, tag, target: config.target ?? DEFAULT_TARGET };
  });
  return { include };
}

/** A provider-images matrix entry: one Kubernetes version of one build config, on its own runner. */
export interface ProviderMatrixEntry extends MatrixEntry {
  k8sVersion: string;
}

/**
 * Fans a config's entry out per Kubernetes version (`edgebuild matrix
 * --provider-images`): `tag` is the resolved tag, so every runner builds
 * the same release even when the config says "latest".
 */
export function fanOutProviderImages(entry: MatrixEntry, resolved: { tag: string; target: string; versions: readonly string[] }): ProviderMatrixEntry[] {
  return resolved.versions.map((k8sVersion) => ({ ...entry, name: `${entry.name}-k8s-${k8sVersion}`, tag: resolved.tag, target: resolved.target, k8sVersion }));
}
