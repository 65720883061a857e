/**
 * Ctrl-C while edgebuild waits on the network (a git server that never
 * answers): exit 130, and under --json still exactly one JSON document.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CLI } from './cli.js';

let server: Server;
let url: string;
let dir: string;
beforeAll(async () => {
  server = createServer(() => undefined); // accepts, never answers
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/CanvOS.git`;
  dir = mkdtempSync(join(tmpdir(), 'edgebuild-int-'));
  writeFileSync(join(dir, 'ud.yaml'), '#cloud-config\nstylus:\n  site:\n    paletteEndpoint: api.example.invalid\n');
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

function start(): { done: Promise<{ code: number | null; stdout: string; stderr: string }>; signal: (s: NodeJS.Signals) => void; stderrHas: (re: RegExp) => Promise<void> } {
  const child = spawn(process.execPath, [CLI, 'iso', '--dry-run', '--json', '--repo', url, '--tag', 'v4.5.15', '--user-data', 'ud.yaml', '--cache-dir', 'cache'], { cwd: dir, env: { PATH: process.env.PATH, HOME: dir } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  const stderrHas = async (re: RegExp): Promise<void> => {
    for (let i = 0; i < 200 && !re.test(stderr); i++) await new Promise((r) => setTimeout(r, 50));
  };
  return { done, signal: (s) => child.kill(s), stderrHas };
}

test('one Ctrl-C: exit 130, one JSON error, no half-made mirror left', async () => {
  const run = start();
  await run.stderrHas(/Resolve CanvOS source/);
  await new Promise((r) => setTimeout(r, 300)); // git is now waiting on the server
  run.signal('SIGINT');
  const { code, stdout } = await run.done;
  expect(code).toBe(130);
  expect(JSON.parse(stdout)).toMatchObject({ status: 'error', error: { code: 'interrupted', exitCode: 130 } });
  const gitDir = join(dir, 'cache', 'git');
  expect(existsSync(gitDir) ? (await import('node:fs')).readdirSync(gitDir) : []).toEqual([]);
});

test('a second Ctrl-C leaves at once, still with one JSON document', async () => {
  const run = start();
  await run.stderrHas(/Resolve CanvOS source/);
  run.signal('SIGINT');
  run.signal('SIGINT');
  const { code, stdout } = await run.done;
  expect(code).toBe(130);
  expect(JSON.parse(stdout)).toMatchObject({ status: 'error', error: { code: 'interrupted', exitCode: 130 } });
});

test('no git process is left behind', async () => {
  // Orphans are re-parented away from us: look at every process on the machine.
  const { readdir, readFile } = await import('node:fs/promises');
  const running = async (): Promise<string[]> => {
    const pids = (await readdir('/proc')).filter((e) => /^\d+$/.test(e));
    const commands = await Promise.all(pids.map((pid) => readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')));
    return commands.filter((c) => c.includes(url));
  };
  const run = start();
  await run.stderrHas(/Resolve CanvOS source/);
  // Wait for git's transport itself (on a loaded machine it starts well after git): it is what outlives a killed git.
  const transport = async (): Promise<boolean> => (await running()).some((c) => c.includes('remote-http'));
  for (let i = 0; i < 300 && !(await transport()); i++) await new Promise((r) => setTimeout(r, 50));
  expect(await transport()).toBe(true); // the transport was there
  run.signal('SIGTERM');
  expect((await run.done).code).toBe(130);
  await new Promise((r) => setTimeout(r, 300));
  expect(await running()).toEqual([]);
});
