/**
 * sha256File reads in 1 MiB blocks and yields every 32 MiB; block edges are where such code goes
 * wrong. coreutils sha256sum is the reference.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { sha256File, sha256FileOnWorker } from '../../src/adapters/checksum.js';

const dir = mkdtempSync(join(tmpdir(), 'edgebuild-checksum-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MiB = 1024 * 1024;

describe('sha256File', () => {
  test.each([0, 1, 4 * MiB - 1, 4 * MiB, 4 * MiB + 1, 9 * MiB + 7])('%i bytes: the same digest and size as sha256sum', async (size) => {
    const file = join(dir, `f-${size}`);
    writeFileSync(file, randomBytes(size));
    const expected = execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0];
    expect(await sha256File(file)).toEqual({ sha256: expected, size });
  });

  test('an aborted hash stops with the abort reason and closes the file', async () => {
    const file = join(dir, 'abort');
    writeFileSync(file, randomBytes(12 * MiB));
    const controller = new AbortController();
    const reason = new Error('stop');
    controller.abort(reason);
    await expect(sha256File(file, controller.signal)).rejects.toBe(reason);
  });

  test('a long hash lets the event loop run: an abort from a timer (Ctrl-C) stops it part way', async () => {
    const file = join(dir, 'long');
    writeFileSync(file, Buffer.alloc(0));
    truncateSync(file, 2 ** 30); // 1 GiB, sparse
    const controller = new AbortController();
    const reason = new Error('SIGINT');
    setTimeout(() => controller.abort(reason), 1);
    await expect(sha256File(file, controller.signal)).rejects.toBe(reason);
  });
});

describe('sha256FileOnWorker (the in-place remaster hashes its output on the second CPU)', () => {
  test.each([0, 1, MiB - 1, MiB + 1, 3 * MiB])('%i bytes: the same digest and size as sha256sum', async (size) => {
    const file = join(dir, `w-${size}`);
    writeFileSync(file, randomBytes(size));
    const expected = execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0];
    expect(await sha256FileOnWorker(file)).toEqual({ sha256: expected, size });
  });

  test('an abort from a timer (Ctrl-C) stops the worker part way with the abort reason', async () => {
    const file = join(dir, 'w-long');
    writeFileSync(file, Buffer.alloc(0));
    truncateSync(file, 8 * 2 ** 30); // 8 GiB, sparse: seconds to hash
    const controller = new AbortController();
    const reason = new Error('SIGINT');
    setTimeout(() => controller.abort(reason), 50);
    // Not stopped, the worker would finish and resolve with the digest.
    await expect(sha256FileOnWorker(file, controller.signal)).rejects.toBe(reason);
  });

  test('a missing file is an error, not a hang', async () => {
    await expect(sha256FileOnWorker(join(dir, 'absent'))).rejects.toThrow(/ENOENT/);
  });
});
