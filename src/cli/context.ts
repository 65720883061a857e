import type { Io } from './io.js';
import type { Output } from './output.js';

/** What every command handler receives: parsed options plus the process surface. */
export interface CommandContext<O> {
  options: O;
  io: Io;
  out: Output;
}

/** What the commands that fetch the CanvOS mirror say while they wait: one retry notice, then warnings. */
export function mirrorProgress(out: Output): { onRetry: (attempt: number, error: string) => void; onWarning: (warning: string) => void } {
  return {
    onRetry: (attempt, error) => {
      if (attempt === 1) out.info(`retrying the fetch with backoff (2 s, 5 s, 15 s): ${error}`);
    },
    onWarning: (warning) => out.warn(warning),
  };
}
