import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { acquireLock, atomicWriteFile, withLock } from '../../src/adapters/files.js';
import { RuntimeError } from '../../src/errors.js';

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
    expect(JSON.parse(waits[0]!)).toMatchObject({ pid: process.pid, description: 'first' });
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
