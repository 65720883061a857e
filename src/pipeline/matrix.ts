/**
 * `edgebuild matrix`: read the build configs (named, or every one in
 * build-configs/) and turn them into a GitHub Actions build matrix.
 */
import { resolve } from 'node:path';
import { parseBuildConfig } from '../core/buildConfig.js';
import { buildMatrix, selectBuildConfigs, type CandidateFile, type Matrix } from '../core/matrix.js';
import { listDir, readUserFile } from '../adapters/files.js';
import { InputError } from '../errors.js';

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
  return buildMatrix(configs.map(({ file, source }) => ({ file, config: parseBuildConfig(source, file) })));
}
