/**
 * Commander's parse errors go through run.ts like every other error: exit 2,
 * exactly one line on stderr, one JSON document on stdout under --json, and a
 * fix naming the help of the command that was run.
 */
import { expect, test } from 'vitest';
import { run } from '../../src/cli/run.js';

async function runInProcess(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: {},
    cwd: process.cwd(),
    signal: new AbortController().signal,
  };
  const code = await run(argv, io);
  return { code, stdout, stderr };
}

test.each([
  { argv: ['registries', '--distro', 'foo'], message: "option '--distro <distribution>' argument 'foo' is invalid. Allowed choices are pxk-e, k3s, rke2. Fix: see edgebuild registries --help" },
  { argv: ['doctor', 'extra'], message: "too many arguments for 'doctor'. Expected 0 arguments but got 1. Fix: see edgebuild doctor --help" },
  { argv: ['tags', '--repo'], message: "option '--repo <url>' argument missing. Fix: see edgebuild tags --help" },
  { argv: ['iso', '--bogus'], message: "unknown option '--bogus'. Fix: see edgebuild iso --help" },
  { argv: ['bogus'], message: "unknown command 'bogus'. Fix: see edgebuild --help" },
])('$argv', async ({ argv, message }) => {
  const human = await runInProcess(argv);
  expect(human.code).toBe(2);
  expect(human.stdout).toBe('');
  expect(human.stderr).toBe(`error: ${message}\n`);

  const json = await runInProcess([argv[0]!, '--json', ...argv.slice(1)]);
  expect(json.code).toBe(2);
  expect(JSON.parse(json.stdout)).toEqual({ status: 'error', error: { code: 'usage', exitCode: 2, message, fix: message.split('. Fix: ')[1] } });
  expect(json.stderr).toBe(`error: ${message}\n`);
});
