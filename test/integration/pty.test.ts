/**
 * The build under a pseudo-terminal (runLogged with pty: true, util-linux
 * `script` via the build supervisor): stdin is a terminal, the log is free of
 * what the terminal adds, and Ctrl-C, the end of the build and SIGKILL of
 * edgebuild stop the whole tree — `script` puts it in a session of its own,
 * out of the group edgebuild signals.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { runLogged } from '../../src/adapters/proc.js';
import { stillRunning, waitFor } from './isoHelpers.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgebuild-pty-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, body: string): string {
  writeFileSync(join(dir, name), `#!/usr/bin/env bash\n${body}\n`, { mode: 0o755 });
  return `./${name}`;
}

/** Running, not a zombie waiting for init (isoHelpers.ts, stillRunning). */
const alive = stillRunning;

/** A tree in the pty session: one child ignoring SIGTERM, one not; their pids in `pids`. */
const TREE = (pidFile: string) => `(trap '' TERM HUP; sleep 300) & echo $! >> ${pidFile}\nsleep 300 & echo $! >> ${pidFile}\necho started\nwait`;

describe('runLogged with a pseudo-terminal', () => {
  test('stdin is a terminal; the exit code, output and secrets are as without one, the log has no \\r or escape sequences', async () => {
    const cmd = script('tty.sh', `[ -t 0 ] && echo "stdin is a terminal"\nprintf 'colour \\033[1;31mred\\033[0m\\r\\nprogress 10%%\\rprogress 100%%\\n'\necho "token s3cr3t-value" >&2\nexit 4`);
    const logPath = join(dir, 'b.log');
    const result = await runLogged({ command: [cmd], cwd: dir, env: process.env, logPath, secrets: ['s3cr3t-value'], pty: true });
    expect(result.exitCode).toBe(4);
    expect(readFileSync(logPath, 'utf8')).toBe('stdin is a terminal\ncolour red\nprogress 10%\nprogress 100%\ntoken ***\n');
  });

  test('a read from the terminal gets end-of-file, as from /dev/null: nothing waits for input', async () => {
    const cmd = script('read.sh', 'if read -r line; then echo "read [$line]"; else echo "end of file"; fi');
    const logPath = join(dir, 'b.log');
    const result = await runLogged({ command: [cmd], cwd: dir, env: process.env, logPath, secrets: [], pty: true, graceMs: 500 });
    expect(result.exitCode).toBe(0);
    expect(readFileSync(logPath, 'utf8')).toBe('end of file\n');
  });

  test('without pty: true stdin stays /dev/null (docker exec -it would fail)', async () => {
    const cmd = script('tty.sh', '[ -t 0 ] && echo terminal || echo "no terminal"');
    const logPath = join(dir, 'b.log');
    await runLogged({ command: [cmd], cwd: dir, env: process.env, logPath, secrets: [] });
    expect(readFileSync(logPath, 'utf8')).toBe('no terminal\n');
  });

  test('abort stops the whole tree in the pty session, including a child that ignores SIGTERM', async () => {
    const pidFile = join(dir, 'pids');
    const cmd = script('tree.sh', TREE(pidFile));
    const controller = new AbortController();
    const result = await runLogged({
      command: [cmd], cwd: dir, env: process.env, logPath: join(dir, 'b.log'), secrets: [], signal: controller.signal, graceMs: 500, pty: true,
      onBlock: (b) => {
        if (b.includes('started')) controller.abort(new Error('SIGINT'));
      },
    });
    expect(result.aborted).toBe(true);
    const pids = readFileSync(pidFile, 'utf8').trim().split('\n').map(Number);
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });

  test('a daemon left behind in the pty session by a finished build is stopped', async () => {
    const pidFile = join(dir, 'daemon');
    const cmd = script('daemon.sh', `(trap '' HUP; sleep 300) & echo $! > ${pidFile}\necho done`);
    const result = await runLogged({ command: [cmd], cwd: dir, env: process.env, logPath: join(dir, 'b.log'), secrets: [], graceMs: 500, pty: true });
    expect(result.exitCode).toBe(0);
    await waitFor('the daemon to be gone', () => (alive(Number(readFileSync(pidFile, 'utf8'))) ? undefined : true), 5_000).catch(() => undefined);
    expect(alive(Number(readFileSync(pidFile, 'utf8')))).toBe(false);
  });

  test('SIGKILL of the process running the build takes the pty session with it', { timeout: 60_000 }, async () => {
    const built = resolve(import.meta.dirname, '../../dist/adapters/proc.js');
    if (!existsSync(built)) execFileSync('npm', ['run', 'build'], { stdio: 'ignore' });
    const pidFile = join(dir, 'pids');
    script('tree.sh', TREE(pidFile));
    const runner = `import { runLogged } from ${JSON.stringify(pathToFileURL(built).href)};
      await runLogged({ command: ['./tree.sh'], cwd: process.cwd(), env: process.env, logPath: 'b.log', secrets: [], graceMs: 500, pty: true,
        onBlock: (b) => { if (b.includes('started')) console.log('started'); } });`;
    const edgebuild = spawn(process.execPath, ['--input-type=module', '-e', runner], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    edgebuild.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor('the build to start', () => (out.includes('started') ? true : undefined), 20_000);
    const pids = readFileSync(pidFile, 'utf8').trim().split('\n').map(Number);
    for (const pid of pids) expect(alive(pid)).toBe(true);

    edgebuild.kill('SIGKILL');
    await waitFor('the build tree to be gone', () => (pids.some(alive) ? undefined : true), 8_000).catch(() => undefined);
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });
});
