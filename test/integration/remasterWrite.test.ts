/**
 * How `edgebuild remaster` writes and hashes: the published .sha256 is the
 * hash of the published bytes (checked by openssl, not by edgebuild); the
 * input's sha256 comes from the hash cache only for exactly the file this
 * machine read (a changed file is read again and refused); an xorriso killed
 * mid-write is named as such and leaves nothing in --out. No boots here:
 * remaster.test.ts boots what remaster writes.
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sha256File } from '../../src/adapters/checksum.js';
import { HASH_CACHE_FILE } from '../../src/adapters/hashCache.js';
import { publish } from '../../src/pipeline/publish.js';
import { fixtureManifest } from '../fixtures/publishedSet.js';
import { makeKairosIso } from '../fixtures/installerIso.js';
import { CLI, runCli } from './cli.js';

const OLD = '#cloud-config\nstylus:\n  site:\n    paletteEndpoint: old.example.invalid\n  imageRedirectWebhook:\n    enable: false\n';
const NEW = '#cloud-config\nstylus:\n  site:\n    paletteEndpoint: new.example.invalid\n';
const REMEMBERED = 'sha256 remembered from an earlier read here';
let work: string;

/** A Kairos-layout ISO published as `edgebuild iso` publishes it, into `dir`; its mtime an hour ago (settled, so the cache may keep its hash). */
async function published(dir: string, padMiB = 0): Promise<string> {
  const built = join(work, `${dir}.iso`);
  makeKairosIso(join(work, `${dir}-tree`), built, OLD, padMiB);
  const result = await publish({ outDir: join(work, dir), isoName: 'installer', iso: { path: built, ...(await sha256File(built)) }, isoMode: 0o644, secrets: [], manifest: fixtureManifest(OLD) });
  const iso = result.artifacts[0]!.path;
  const anHourAgo = new Date(Date.now() - 3_600_000);
  utimesSync(iso, anHourAgo, anHourAgo);
  return iso;
}

function remaster(iso: string, out: string): ReturnType<typeof runCli> {
  return runCli(['remaster', iso, '--user-data', 'new.yaml', '--out', out, '--cache-dir', 'cache', '--json'], { cwd: work });
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'edgebuild-remaster-write-'));
  writeFileSync(join(work, 'new.yaml'), NEW);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the published ISO and its hash', () => {
  test('.sha256 and manifest.json give the sha256 openssl computes from the published file itself', async () => {
    const iso = await published('pub');
    const r = await remaster(iso, 'pub-out');
    expect(r.code, r.stderr).toBe(0);
    const out = join(work, 'pub-out/installer.iso');
    const openssl = /= ([0-9a-f]{64})$/.exec(execFileSync('openssl', ['dgst', '-sha256', out], { encoding: 'utf8' }).trim())?.[1];
    expect(openssl).toMatch(/^[0-9a-f]{64}$/);
    expect(readFileSync(`${out}.sha256`, 'utf8')).toBe(`${openssl}  installer.iso\n`);
    const manifest = JSON.parse(readFileSync(join(work, 'pub-out/manifest.json'), 'utf8'));
    expect(manifest.artifacts[0]).toMatchObject({ name: 'installer.iso', sha256: openssl, size: statSync(out).size });
    expect(JSON.parse(r.stdout).artifacts[0].sha256).toBe(openssl);
  });
});

describe("the input's sha256 from the hash cache", () => {
  test('a second remaster of the same file does not read it again, and derives from the same sha256', async () => {
    const iso = await published('warm');
    const cold = await remaster(iso, 'warm-out1');
    expect(cold.code, cold.stderr).toBe(0);
    expect(cold.stderr).not.toContain(REMEMBERED);
    expect(Object.keys(JSON.parse(readFileSync(join(work, 'cache', HASH_CACHE_FILE), 'utf8')).files)).toContain(iso);
    const warm = await remaster(iso, 'warm-out2');
    expect(warm.code, warm.stderr).toBe(0);
    expect(warm.stderr).toContain(`installer.iso: ${REMEMBERED}`);
    expect(JSON.parse(warm.stdout).derivedFrom.sha256).toBe(JSON.parse(cold.stdout).derivedFrom.sha256);
  });

  test('an ISO that edgebuild verify read here is not read again by remaster', async () => {
    const iso = await published('verified');
    const verify = await runCli(['verify', iso, '--cache-dir', 'verify-cache'], { cwd: work });
    expect(verify.code, verify.stderr).toBe(0);
    const r = await runCli(['remaster', iso, '--user-data', 'new.yaml', '--out', 'verified-out', '--cache-dir', 'verify-cache', '--json'], { cwd: work });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`installer.iso: ${REMEMBERED}`);
  });

  test('a file changed since (same size, other bytes, its mtime set back) is read again and refused against its .sha256', async () => {
    const iso = await published('changed');
    const first = await remaster(iso, 'changed-out1');
    expect(first.code, first.stderr).toBe(0);
    const { size, mtimeNs } = statSync(iso, { bigint: true });
    // touch -r keeps the mtime to the nanosecond (utimes() takes a double: not exact).
    execFileSync('touch', ['-r', iso, join(work, 'changed-times')]);
    // The last byte of the image (unused end of the ESP): the ISO tree and boot records still read the same.
    const fd = openSync(iso, 'r+');
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, Number(size) - 1);
    writeSync(fd, Buffer.from([last[0]! ^ 0xff]), 0, 1, Number(size) - 1);
    closeSync(fd);
    execFileSync('touch', ['-r', join(work, 'changed-times'), iso]);
    const now = statSync(iso, { bigint: true });
    expect([now.size, now.mtimeNs]).toEqual([size, mtimeNs]); // only the ctime (and the bytes) tell
    const second = await remaster(iso, 'changed-out2');
    expect(second.stderr).not.toContain(REMEMBERED);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/sha256|checksum/i);
    expect(readdirSync(join(work, 'changed-out2'))).toEqual([]);
  });
});

describe('xorriso killed mid-write', () => {
  test('exit 1 naming the signal, not the layout; nothing in --out, no temp directory', async () => {
    const iso = await published('killed', 256);
    const out = join(work, 'killed-out');
    const child = spawn(process.execPath, [CLI, 'remaster', iso, '--user-data', 'new.yaml', '--out', out, '--cache-dir', 'cache'], { cwd: work, env: { PATH: process.env.PATH, HOME: work }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    // The xorriso writing into --out (its work directory there is the outdev).
    const writer = (): number | undefined =>
      readdirSync('/proc')
        .filter((p) => /^\d+$/.test(p))
        .map(Number)
        .find((pid) => {
          try {
            const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
            return argv[0]?.endsWith('xorriso') && argv.some((a) => a.startsWith(out)) && argv.includes('-commit');
          } catch {
            return false;
          }
        });
    let pid: number | undefined;
    for (let i = 0; i < 400 && pid === undefined; i++) {
      pid = writer();
      if (pid === undefined) await new Promise((r) => setTimeout(r, 25));
    }
    expect(pid, stderr).toBeDefined();
    await new Promise((r) => setTimeout(r, 100)); // writing by now
    process.kill(pid!, 'SIGKILL');
    expect(await exited).toBe(1);
    expect(stderr).toContain('xorriso was stopped by SIGKILL');
    expect(stderr).not.toContain('cannot be preserved');
    expect(readdirSync(out)).toEqual([]);
  }, 120_000);
});
