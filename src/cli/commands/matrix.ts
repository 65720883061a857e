import type { CommandContext } from '../context.js';
import { appendToGithub } from '../../adapters/githubFiles.js';
import { matrixOf, providerMatrixOf } from '../../pipeline/matrix.js';

interface Flags {
  json?: boolean;
  providerImages?: boolean;
  cacheDir?: string;
}

/**
 * Prints the GitHub Actions matrix of the build configs. Without --json the
 * matrix is one line, ready for `matrix=$(edgebuild matrix)`; under GitHub
 * Actions it is also written to the step output `matrix`.
 */
export async function matrixCommand({ options, io, out }: CommandContext<Flags>, args: string[]): Promise<number> {
  const input = { files: args, cwd: io.cwd, onSkipped: (file: string, reason: string) => out.info(`skipping ${file}: ${reason}`) };
  // --provider-images: one entry per Kubernetes version, read from each config's tag.
  const matrix = options.providerImages ? await providerMatrixOf({ ...input, env: io.env, cacheDir: options.cacheDir, signal: io.signal }) : await matrixOf(input);
  const line = JSON.stringify(matrix);
  await appendToGithub(io.env, { outputs: { matrix: line } });
  out.result(matrix, line);
  return 0;
}
