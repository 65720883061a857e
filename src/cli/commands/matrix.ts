import type { CommandContext } from '../context.js';
import { appendToGithub } from '../../adapters/githubFiles.js';
import { matrixOf } from '../../pipeline/matrix.js';

interface Flags {
  json?: boolean;
}

/**
 * Prints the GitHub Actions matrix of the build configs. Without --json the
 * matrix is one line, ready for `matrix=$(edgebuild matrix)`; under GitHub
 * Actions it is also written to the step output `matrix`.
 */
export async function matrixCommand({ io, out }: CommandContext<Flags>, args: string[]): Promise<number> {
  const matrix = await matrixOf({ files: args, cwd: io.cwd, onSkipped: (file, reason) => out.info(`skipping ${file}: ${reason}`) });
  const line = JSON.stringify(matrix);
  await appendToGithub(io.env, { outputs: { matrix: line } });
  out.result(matrix, line);
  return 0;
}
