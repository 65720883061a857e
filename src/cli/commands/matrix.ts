import { readdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { CommandContext } from '../program.js';
import { appendToGithub } from '../githubActions.js';
import { parseBuildConfig } from '../../core/buildConfig.js';
import { buildMatrix, selectBuildConfigs, type CandidateFile } from '../../core/matrix.js';
import { readUserFile } from '../../adapters/files.js';
import { InputError } from '../../errors.js';

interface Flags {
  json?: boolean;
}

export const CONFIG_DIR = 'build-configs';

/** build-configs/*.yaml (and *.yml), sorted so the matrix is stable, with the folder's other file names. */
async function defaultCandidates(cwd: string): Promise<{ files: CandidateFile[]; siblings: string[] }> {
  let names: string[];
  try {
    names = (await readdir(resolve(cwd, CONFIG_DIR))).sort();
  } catch {
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

/**
 * Prints the GitHub Actions matrix of the build configs. Without --json the
 * matrix is one line, ready for `matrix=$(edgebuild matrix)`; under GitHub
 * Actions it is also written to the step output `matrix`.
 */
export async function matrixCommand({ io, out }: CommandContext<Flags>, args: string[]): Promise<number> {
  let configs: CandidateFile[];
  if (args.length > 0) {
    // Files named on the command line are build configs by definition: no skipping.
    configs = await Promise.all(args.map(async (file) => ({ file, source: await readUserFile(resolve(io.cwd, file), 'build config', file) })));
  } else {
    const { files, siblings } = await defaultCandidates(io.cwd);
    const selection = selectBuildConfigs(files, siblings);
    selection.skipped.forEach((s) => out.info(`skipping ${s.file}: ${s.reason}`));
    configs = selection.configs;
  }
  const matrix = buildMatrix(configs.map(({ file, source }) => ({ file, config: parseBuildConfig(source, file) })));
  const line = JSON.stringify(matrix);
  await appendToGithub(io.env, { outputs: { matrix: line } });
  out.result(matrix, line);
  return 0;
}
