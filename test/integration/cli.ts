/**
 * Running the CLI in tests. `runCli` runs it in-process through
 * run(argv, io) — the source, not a built dist/, and no Node start-up per
 * call — with the environment limited to what a user's shell would pass.
 * Where the process itself is the point (signals, start-up, exit codes of the
 * real binary), tests spawn the built CLI (`CLI`) instead.
 */
import { fileURLToPath } from 'node:url';
import { run } from '../../src/cli/run.js';

export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export async function runCli(args: string[], options: { cwd: string; env?: Record<string, string | undefined> }): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_HOST: process.env.DOCKER_HOST, ...options.env };
  const code = await run(args, {
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk), isTTY: false },
    env,
    cwd: options.cwd,
    signal: new AbortController().signal,
  });
  return { code, stdout, stderr };
}
