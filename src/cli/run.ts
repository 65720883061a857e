import { CommanderError } from 'commander';
import type { Io } from './io.js';
import { Output } from './output.js';
import { buildProgram, usageError } from './program.js';
import { ExitCode, InterruptedError, fromSystemError, isEdgebuildError } from '../errors.js';

/**
 * Runs the CLI with the given argv (without `node` and the script path) and
 * returns the exit code. The one place where errors become messages and codes.
 */
export async function run(argv: string[], io: Io): Promise<number> {
  let code: number = ExitCode.ok;
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (thrown) {
    // --help and --version end by "throwing" with exit code 0.
    if (thrown instanceof CommanderError && thrown.exitCode === 0) return ExitCode.ok;
    // The subcommand is the first word of argv; commander has no option before it.
    const command = program.commands.find((c) => c.name() === argv[0])?.name();
    let error = thrown instanceof CommanderError ? usageError(thrown, command) : thrown;
    if (io.signal.aborted && !isEdgebuildError(error)) error = new InterruptedError();
    error = fromSystemError(error) ?? error;
    new Output(io, argv.includes('--json')).error(error);
    return isEdgebuildError(error) ? error.exitCode : ExitCode.runtime;
  }
}
