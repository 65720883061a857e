import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { acquireLock, atomicWriteFile, withLock } from '../../src/adapters/files.js';
import { RuntimeError } from '../../src/errors.js';
import { processStartTime } from '../../src/adapters/processIdentity.js';

const dir = mkdtempSync(join(tmpdir(), 'edgebuild-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('atomicWriteFile', () => {
  test('writes with the exact mode whatever the umask, and leaves no temporary file', async () => {
    const file = join(dir, 'a', 'user-data');
    writeFileSync(join(dir, 'keep'), 'x');
    const old = process.umask(0o000);
    try {
      await atomicWriteFile(file, 'secret', 0o600);
    } finally {
      process.umask(old);
    }
    expect(readFileSync(file, 'utf8')).toBe('secret');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(dir, 'a'))).toEqual(['user-data']);
  });

  test('replaces an existing file whole', async () => {
    const file = join(dir, 'b');
    writeFileSync(file, 'old content that is longer');
    await atomicWriteFile(file, 'new');
    expect(readFileSync(file, 'utf8')).toBe('new');
  });
});

describe('locks', () => {
  test('a second holder fails at once with --no-wait, and waits otherwise', async () => {
    const lock = join(dir, 'engine.lock');
    const release = await acquireLock(lock, 'first', { wait: true });
    await expect(acquireLock(lock, 'second', { wait: false })).rejects.toThrow(RuntimeError);
    const waits: string[] = [];
    const second = withLock(lock, 'second', { wait: true, pollMs: 10, onWait: (h) => waits.push(h) }, async () => 'ran');
    await new Promise((r) => setTimeout(r, 50));
    expect(waits).toHaveLength(1);
    expect(waits[0]).toMatch(new RegExp(`^pid ${process.pid} \\(.+\\): first, since \\d{4}-`));
    await release();
    await expect(second).resolves.toBe('ran');
    expect(readdirSync(dir)).not.toContain('engine.lock');
  });

  test('a lock left by a dead process is taken over', async () => {
    const lock = join(dir, 'stale.lock');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(lock, JSON.stringify({ pid: Number(dead.stdout), description: 'crashed' }));
    const release = await acquireLock(lock, 'me', { wait: false });
    expect(JSON.parse(readFileSync(lock, 'utf8'))).toMatchObject({ pid: process.pid });
    await release();
  });
});

/**
 * Stale locks must not make a run wait forever: an empty or garbage lock (a
 * crash, a full disk) and a lock naming a pid that now belongs to another
 * process (pid reuse; pid 1 in a container) are taken over; a live holder is
 * waited for, saying on whom and until when, and the wait ends.
 */
describe('stale and live locks', () => {
  const old = (path: string) => utimesSync(path, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
  /** Resolves with the lock's release, or rejects when it did not come within `ms` (the old code waited forever). */
  const within = <T>(promise: Promise<T>, ms = 3_000) =>
    Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms))]);
  const children: ChildProcess[] = [];
  afterEach(() => children.splice(0).forEach((c) => c.kill('SIGKILL')));
  const sleeper = async (): Promise<number> => {
    const child = spawn('sleep', ['60'], { stdio: 'ignore' });
    children.push(child);
    await new Promise((r) => child.once('spawn', r));
    return child.pid!;
  };

  test.each([
    ['an empty lock (disk full while writing)', ''],
    ['a garbage lock', '\0\0\0{"pid":'],
    ['a JSON lock without a pid', '{"description":"x"}'],
  ])('%s is stale once older than the grace', async (_, content) => {
    const lock = join(dir, `bad-${content.length}.lock`);
    writeFileSync(lock, content);
    old(lock);
    const release = await within(acquireLock(lock, 'me', { wait: false }));
    expect(JSON.parse(readFileSync(lock, 'utf8'))).toMatchObject({ pid: process.pid, description: 'me' });
    await release();
  });

  test('a fresh empty lock is waited for during the grace, then taken over', async () => {
    const lock = join(dir, 'fresh-empty.lock');
    writeFileSync(lock, '');
    const waits: string[] = [];
    const started = Date.now();
    const release = await within(acquireLock(lock, 'me', { wait: true, graceMs: 300, pollMs: 20, onWait: (h) => waits.push(h) }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(waits).toEqual([`an empty or unreadable lock file ${lock}`]);
    await release();
  });

  test('a live pid with another start time is another process: the lock is taken over', async () => {
    const pid = await sleeper();
    const lock = join(dir, 'reused.lock');
    writeFileSync(lock, JSON.stringify({ pid, start: processStartTime(pid)! - 1, description: 'edgebuild iso v4.6.21', since: '2026-01-01T00:00:00.000Z' }));
    const release = await within(acquireLock(lock, 'me', { wait: false }));
    expect(JSON.parse(readFileSync(lock, 'utf8'))).toMatchObject({ pid: process.pid, start: processStartTime(process.pid) });
    await release();
  });

  test('pid 1 (edgebuild as pid 1 of an earlier CI container) with another start time is taken over', async () => {
    const lock = join(dir, 'pid1.lock');
    writeFileSync(lock, JSON.stringify({ pid: 1, start: processStartTime(1)! + 12345, description: 'edgebuild iso' }));
    const release = await within(acquireLock(lock, 'me', { wait: false }));
    await release();
  });

  test('a lock of another boot (a restored CI cache) is taken over', async () => {
    const pid = await sleeper();
    const lock = join(dir, 'boot.lock');
    writeFileSync(lock, JSON.stringify({ pid, start: processStartTime(pid), boot: '00000000-0000-0000-0000-000000000000', description: 'edgebuild iso' }));
    const release = await within(acquireLock(lock, 'me', { wait: false }));
    await release();
  });

  test('a lock of a live edgebuild: refused with --no-wait, waited for (saying on whom, until when) up to a bound, taken when it dies', async () => {
    const lock = join(dir, 'live.lock');
    // A real second edgebuild process holding the lock (the built adapter, as the CLI runs it).
    const holder = spawn(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(pathToFileURL(resolve('dist/adapters/files.js')).href)}); await m.acquireLock(${JSON.stringify(lock)}, 'edgebuild iso v4.6.21', { wait: false }); console.log('held'); setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(holder);
    await new Promise((r) => holder.stdout!.once('data', r));
    const record = JSON.parse(readFileSync(lock, 'utf8')) as { pid: number; start: number; host: string; since: string };
    expect(record).toMatchObject({ pid: holder.pid, start: processStartTime(holder.pid!), host: hostname() });

    const refused = (await acquireLock(lock, 'me', { wait: false }).catch((e: unknown) => e)) as RuntimeError;
    expect(refused).toBeInstanceOf(RuntimeError);
    expect(refused.message).toBe(`another edgebuild holds ${lock} (pid ${holder.pid} (node): edgebuild iso v4.6.21, since ${record.since})`);

    const waits: { holder: string; until: Date }[] = [];
    const started = Date.now();
    const timedOut = (await acquireLock(lock, 'me', { wait: true, pollMs: 20, maxWaitMs: 300, onWait: (h, until) => waits.push({ holder: h, until }) }).catch((e: unknown) => e)) as RuntimeError;
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(waits).toHaveLength(1);
    expect(waits[0]!.holder).toBe(`pid ${holder.pid} (node): edgebuild iso v4.6.21, since ${record.since}`);
    expect(waits[0]!.until.getTime()).toBeGreaterThanOrEqual(started + 300);
    expect(timedOut).toMatchObject({ exitCode: 1, code: 'lock-timeout' });
    expect(timedOut.line).toBe(`gave up waiting for ${lock}, held by pid ${holder.pid} (node): edgebuild iso v4.6.21, since ${record.since}. Fix: if that process is not an edgebuild run that is still working, remove ${lock}; or wait longer with EDGEBUILD_LOCK_WAIT_SECONDS`);

    const taken = acquireLock(lock, 'me', { wait: true, pollMs: 20 });
    setTimeout(() => holder.kill('SIGKILL'), 100);
    const release = await within(taken);
    expect(JSON.parse(readFileSync(lock, 'utf8'))).toMatchObject({ pid: process.pid });
    await release();
    expect(readdirSync(dir).filter((n) => n.includes('live.lock'))).toEqual([]); // no temporary lock file left
  });
});
