import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { runLogged } from '../../src/adapters/proc.js';
import { processesInGroup, stillRunning, waitFor } from './isoHelpers.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgebuild-proc-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/usr/bin/env bash\n${body}\n`, { mode: 0o755 });
  return `./${name}`;
}

/** Running, not a zombie waiting for init (isoHelpers.ts, stillRunning). */
const alive = stillRunning;

describe('runLogged', () => {
  test('streams stdout and stderr into the log, redacted, and reports the exit code', async () => {
    const cmd = script('out.sh', 'echo "token is $SECRET_VALUE"; echo "to stderr" >&2; printf "no newline at end"; exit 3');
    const logPath = join(dir, 'logs', 'build.log');
    const seen: string[] = [];
    const result = await runLogged({
      command: [cmd],
      cwd: dir,
      env: { ...process.env, SECRET_VALUE: 's3cr3t-v4lue' },
      logPath,
      secrets: ['s3cr3t-v4lue'],
      onBlock: (b) => seen.push(b.toString()),
    });
    expect(result.exitCode).toBe(3);
    expect(result.aborted).toBe(false);
    const log = readFileSync(logPath, 'utf8');
    expect(log).toContain('token is ***');
    expect(log).toContain('to stderr');
    expect(log).toContain('no newline at end\n');
    expect(log).not.toContain('s3cr3t');
    expect(seen.join('')).toBe(log);
    expect(result.tail).toContain('no newline at end');
    expect(result.bytes).toBe(Buffer.byteLength(log));
  });

  test('notices the CanvOS failure line even when the exit status is 0', async () => {
    const cmd = script('lie.sh', 'echo "An error occurred while running the command."; exit 0');
    const result = await runLogged({ command: [cmd], cwd: dir, env: process.env, logPath: join(dir, 'b.log'), secrets: [] });
    expect(result.exitCode).toBe(0);
    expect(result.printedError).toBe(true);
  });

  test('abort stops the whole process group, including a child that ignores SIGTERM', async () => {
    const pidFile = join(dir, 'pids');
    const cmd = script('tree.sh', `(trap '' TERM; sleep 300) & echo $! >> ${pidFile}\nsleep 300 & echo $! >> ${pidFile}\necho started\nwait`);
    const controller = new AbortController();
    let root = 0;
    const running = runLogged({
      command: [cmd],
      cwd: dir,
      env: process.env,
      logPath: join(dir, 'b.log'),
      secrets: [],
      signal: controller.signal,
      graceMs: 500,
      onSpawn: (pid) => (root = pid),
      onBlock: (b) => {
        if (b.includes('started')) controller.abort(new Error('SIGINT'));
      },
    });
    const result = await running;
    expect(result.aborted).toBe(true);
    const pids = readFileSync(pidFile, 'utf8').trim().split('\n').map(Number);
    expect(pids).toHaveLength(2);
    for (const pid of [root, ...pids]) expect(alive(pid)).toBe(false);
  });

  test('a daemon left behind by a finished script does not hang the run', async () => {
    const pidFile = join(dir, 'daemon');
    const cmd = script('daemon.sh', `sleep 300 & echo $! > ${pidFile}\necho done`);
    const result = await runLogged({ command: [cmd], cwd: dir, env: process.env, logPath: join(dir, 'b.log'), secrets: [], graceMs: 500 });
    expect(result.exitCode).toBe(0);
    expect(alive(Number(readFileSync(pidFile, 'utf8')))).toBe(false);
  });

  test('the build keeps stdin to itself: /dev/null here, and no fd of the supervisor lifeline', async () => {
    const cmd = script('fds.sh', 'echo "stdin $(readlink /proc/$$/fd/0)"; [ -e /proc/$$/fd/3 ] && echo "fd 3 open: $(readlink /proc/$$/fd/3)"; exit 0');
    const logPath = join(dir, 'b.log');
    const result = await runLogged({ command: [cmd], cwd: dir, env: process.env, logPath, secrets: [] });
    expect(result.exitCode).toBe(0);
    expect(readFileSync(logPath, 'utf8')).toBe('stdin /dev/null\n');
  });

  test('SIGKILL of the process running the build takes the whole build group with it', { timeout: 60_000 }, async () => {
    // runLogged as built (dist/), in a process of its own for the test to kill: no handler of it runs.
    const built = resolve(import.meta.dirname, '../../dist/adapters/proc.js');
    if (!existsSync(built)) execFileSync('npm', ['run', 'build'], { stdio: 'ignore' });
    const pidFile = join(dir, 'pids');
    script('tree.sh', `(trap '' TERM; sleep 300) & echo $! >> ${pidFile}\nsleep 300 & echo $! >> ${pidFile}\necho started\nwait`);
    const runner = `import { runLogged } from ${JSON.stringify(pathToFileURL(built).href)};
      await runLogged({ command: ['./tree.sh'], cwd: process.cwd(), env: process.env, logPath: 'b.log', secrets: [], graceMs: 500,
        onSpawn: (pgid) => console.log('group', pgid), onBlock: (b) => { if (b.includes('started')) console.log('started'); } });`;
    const edgebuild = spawn(process.execPath, ['--input-type=module', '-e', runner], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    edgebuild.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor('the build to start', () => (out.includes('started') ? true : undefined), 20_000);
    const group = Number(/group (\d+)/.exec(out)![1]);
    const pids = readFileSync(pidFile, 'utf8').trim().split('\n').map(Number);
    expect(processesInGroup(group).length).toBeGreaterThanOrEqual(3);

    edgebuild.kill('SIGKILL');
    await waitFor('the build group to be gone', () => (processesInGroup(group).length === 0 ? true : undefined), 5_000).catch(() => undefined);
    expect(processesInGroup(group)).toEqual([]);
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });

  test('a missing command is a failed run with the reason in the log, not a throw', async () => {
    const logPath = join(dir, 'b.log');
    const result = await runLogged({ command: ['./missing.sh'], cwd: dir, env: process.env, logPath, secrets: [] });
    expect(result.exitCode).not.toBe(0);
    expect(existsSync(logPath)).toBe(true);
  });
});
