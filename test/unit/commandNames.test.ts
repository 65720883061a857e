/** main.ts runs a command through the CLI's bundle and its code cache, named by COMMAND_NAMES before the program exists: the list must be the program's. */
import { expect, test } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { COMMAND_NAMES } from '../../src/cli/commandNames.js';

const io = { stdout: { write: () => true }, stderr: { write: () => true }, env: {}, cwd: process.cwd(), signal: new AbortController().signal };

test('COMMAND_NAMES lists exactly the program\'s commands', () => {
  const names = buildProgram(io, () => undefined).commands.map((c) => c.name());
  expect([...COMMAND_NAMES].sort()).toEqual(names.filter((n) => n !== 'help').sort());
});
