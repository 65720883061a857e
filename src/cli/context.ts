import type { Io } from './io.js';
import type { Output } from './output.js';

/** What every command handler receives: parsed options plus the process surface. */
export interface CommandContext<O> {
  options: O;
  io: Io;
  out: Output;
}
