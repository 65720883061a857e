import type { Io } from './io.js';
import type { Output } from './output.js';

/** What every command handler receives: parsed options plus the process surface. */
export interface CommandContext<O> {
  options: O;
  io: Io;
  out: Output;
}

/**
 * What the commands that fetch the CanvOS mirror (tags, versions) pass on: where it is, and what to
 * say while they wait (one retry notice, then warnings).
 */
export function mirrorOptions(
  options: { repo?: string | undefined; cacheDir?: string | undefined },
  io: Io,
  out: Output,
): {
  repo: string | undefined;
  cacheDir: string | undefined;
  cwd: string;
  env: Record<string, string | undefined>;
  signal: AbortSignal;
  onRetry: (attempt: number, error: string) => void;
  onWarning: (warning: string) => void;
} {
  return {
    repo: options.repo,
    cacheDir: options.cacheDir,
    cwd: io.cwd,
    env: io.env,
    signal: io.signal,
    onRetry: (attempt, error) => {
      if (attempt === 1) out.info(`retrying the fetch with backoff (2 s, 5 s, 15 s): ${error}`);
    },
    onWarning: (warning) => out.warn(warning),
  };
}
