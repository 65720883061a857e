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
import { runImageTool } from '../fixtures/imageTool.js';
import { sha256File } from '../../src/adapters/checksum.js';
import { HASH_CACHE_FILE } from '../../src/adapters/hashCache.js';
import { publish } from '../../src/pipeline/publish.js';
import { fixtureManifest } from '../fixtures/publishedSet.js';
import { makeKairosIso } from '../fixtures/installerIso.js';
import { openIso } from '../../src/adapters/iso9660Reader.js';
import { prepareUserData } from '../../src/core/userData/prepare.js';
import { CLI, runCli } from './cli.js';

const OLD = '#cloud-config\nstylus:\n  site:\n    paletteEndpoint: old.example.invalid\n  imageRedirectWebhook:\n    enable: false\n';
const NEW = '#cloud-config\nstylus:\n  site:\n    paletteEndpoint: new.example.invalid\n';
/** Over 2048 bytes once prepared: does not fit the 2048 bytes allocated to OLD, so xorriso writes the image. */
const BIG = `${NEW}# ${'padding '.repeat(300)}\n`;
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

function remaster(iso: string, out: string, userData = 'new.yaml'): ReturnType<typeof runCli> {
  return runCli(['remaster', iso, '--user-data', userData, '--out', out, '--cache-dir', 'cache', '--json'], { cwd: work });
}

function text(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'edgebuild-remaster-write-'));
  writeFileSync(join(work, 'new.yaml'), NEW);
  writeFileSync(join(work, 'big.yaml'), BIG);
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

describe('in place: the new user-data fits the old allocation', () => {
  // Another length than OLD (NEW prepared is as long as OLD): the size fields change.
  const LONGER = NEW.replace('new.example.invalid', 'new-and-longer.example.invalid');
  const prepared = prepareUserData(LONGER, 'longer.yaml', { env: {} }).text;
  let input: string;
  let output: string;

  beforeAll(async () => {
    writeFileSync(join(work, 'longer.yaml'), LONGER);
    input = await published('inplace');
    const r = await remaster(input, 'inplace-out', 'longer.yaml');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).write).toEqual({ method: 'in-place' });
    expect(r.stderr).toMatch(/Writing installer\.iso with the new files-iso\/config\.yaml in place \(.*2048 bytes and its 4 directory records patched\)/);
    output = join(work, 'inplace-out/installer.iso');
  });

  test('the output differs from the input only inside the file\'s extent and the size fields of its directory records', () => {
    const before = readFileSync(input);
    const after = readFileSync(output);
    expect(after.length).toBe(before.length);
    // Where xorriso itself says the file lies, not what the planner computed.
    const lba = Number(/File data lba:\s+0 ,\s+(\d+) ,/.exec(text('xorriso', ['-indev', input, '-find', '/files-iso/config.yaml', '-exec', 'report_lba']))?.[1]);
    const extent = [lba * 2048, lba * 2048 + 2048];
    const outside: number[] = [];
    for (let i = 0; i < before.length; i++) if (before[i] !== after[i] && (i < extent[0]! || i >= extent[1]!)) outside.push(i);
    // Each run of changed bytes must sit in a both-endian 32-bit field that held the old size and now holds the new one.
    const fields = new Set<number>();
    for (const i of outside) {
      const field = [...Array(8).keys()].map((k) => i - k).find((p) => p >= 0 && before.readUInt32LE(p) === OLD.length && before.readUInt32BE(p + 4) === OLD.length && after.readUInt32LE(p) === prepared.length && after.readUInt32BE(p + 4) === prepared.length);
      expect(field, `byte ${i} changed outside the extent and any size field`).toBeDefined();
      fields.add(field!);
    }
    // Primary and Joliet, in the image and in GRUB's ISO partition.
    expect(prepared.length).not.toBe(OLD.length);
    expect(fields.size).toBe(4);
    expect(after.subarray(extent[0], extent[0]! + prepared.length).toString('utf8')).toBe(prepared);
    expect(after.subarray(extent[0]! + prepared.length, extent[1]).every((b) => b === 0)).toBe(true);
  });

  test('independent readers read the new file: xorriso -extract, isoinfo plain ISO 9660, -J and -R, also in the ISO partition; our reader through each tree', async () => {
    const extracted = join(work, 'extracted.yaml');
    execFileSync('xorriso', ['-osirrox', 'on', '-indev', output, '-extract', '/files-iso/config.yaml', extracted], { stdio: 'ignore' });
    expect(readFileSync(extracted, 'utf8')).toBe(prepared);
    expect(text('isoinfo', ['-i', output, '-x', '/FILES_ISO/CONFIG.YAML;1'])).toBe(prepared);
    expect(text('isoinfo', ['-i', output, '-J', '-x', '/files-iso/config.yaml'])).toBe(prepared);
    expect(text('isoinfo', ['-i', output, '-R', '-x', '/files-iso/config.yaml'])).toBe(prepared);
    // GRUB's ISO partition (MBR partition 1, from byte 32768) is an ISO 9660 file system of its own, with its own trees.
    const partition = join(work, 'partition1.iso');
    writeFileSync(partition, readFileSync(output).subarray(32768));
    for (const tree of [[], ['-J'], ['-R']]) expect(text('isoinfo', ['-i', partition, ...tree, '-x', tree.length ? '/files-iso/config.yaml' : '/FILES_ISO/CONFIG.YAML;1'])).toBe(prepared);
    const image = await openIso(output);
    try {
      const trees = await image.readFileEachTree('files-iso/config.yaml');
      expect(trees.map((t) => [t.tree, t.data?.toString('utf8')])).toEqual([['rockridge', prepared], ['joliet', prepared], ['iso9660', prepared]]);
    } finally {
      await image.close();
    }
  });

  test('edgebuild verify passes on the in-place result', async () => {
    const verify = await runCli(['verify', output], { cwd: work });
    expect(verify.code, verify.stderr).toBe(0);
  });

  test('killed with SIGKILL during the in-place write: nothing published; the next remaster into --out sweeps the work directory', async () => {
    const iso = await published('inplace-killed', 256);
    const out = join(work, 'inplace-killed-out');
    const child = spawn(process.execPath, [CLI, 'remaster', iso, '--user-data', 'new.yaml', '--out', out, '--cache-dir', 'killed-cache'], { cwd: work, env: { PATH: process.env.PATH, HOME: work }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes(' in place (')) child.kill('SIGKILL');
    });
    expect(await exited, stderr).toBe('SIGKILL');
    expect(stderr).toContain('in place');
    expect(readdirSync(out).filter((f) => !f.startsWith('.remaster-tmp-'))).toEqual([]);
    const again = await runCli(['remaster', iso, '--user-data', 'new.yaml', '--out', out, '--cache-dir', 'killed-cache', '--json'], { cwd: work });
    expect(again.code, again.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['installer.iso', 'installer.iso.sha256', 'manifest.json']);
  }, 120_000);
});

describe('xorriso writes when in place cannot', () => {
  test('a user-data that does not fit: the reason in --json and on the progress line; the new file is in the image', async () => {
    const iso = await published('toobig');
    const r = await remaster(iso, 'toobig-out', 'big.yaml');
    expect(r.code, r.stderr).toBe(0);
    const size = Buffer.byteLength(prepareUserData(BIG, 'big.yaml', { env: {} }).text);
    const reason = `the new user-data (${size} bytes) does not fit the 2048 bytes allocated to files-iso/config.yaml`;
    expect(JSON.parse(r.stdout).write).toEqual({ method: 'xorriso', reason });
    expect(r.stderr).toContain(`(xorriso, boot setup replayed from the input; not in place: ${reason})`);
    const image = await openIso(join(work, 'toobig-out/installer.iso'));
    try {
      expect((await image.readFile('files-iso/config.yaml'))?.length).toBe(size);
    } finally {
      await image.close();
    }
  });

  test('an image with libisofs MD5 checksums: written by xorriso, which records them again; xorriso -check_md5 passes on the result', async () => {
    const plain = join(work, 'md5-src.iso');
    makeKairosIso(join(work, 'md5-tree'), plain, OLD);
    const withMd5 = join(work, 'md5.iso');
    // The same image with MD5s recorded (a change is needed for xorriso to write a new session).
    runImageTool('xorriso', ['-md5', 'on', '-indev', plain, '-outdev', withMd5, '-boot_image', 'any', 'replay', '-joliet', 'on', '-map', join(work, 'new.yaml'), '/md5-marker.txt', '-commit'], withMd5);
    const dir = join(work, 'md5');
    const pub = await publish({ outDir: dir, isoName: 'installer', iso: { path: withMd5, ...(await sha256File(withMd5)) }, isoMode: 0o644, secrets: [], manifest: fixtureManifest(OLD) });
    const r = await remaster(pub.artifacts[0]!.path, 'md5-out');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).write).toEqual({ method: 'xorriso', reason: 'the image carries libisofs MD5 checksums (xorriso -md5 on), which a patch would make fail -check_md5' });
    const check = text('xorriso', ['-md5', 'on', '-indev', join(work, 'md5-out/installer.iso'), '-check_md5', 'FAILURE', '--']);
    expect(check).toContain('Ok, session data match recorded md5');
  });
});

describe('xorriso killed mid-write', () => {
  test('exit 1 naming the signal, not the layout; nothing in --out, no temp directory', async () => {
    const iso = await published('killed', 256);
    const out = join(work, 'killed-out');
    // A user-data too big for in place: xorriso writes.
    const child = spawn(process.execPath, [CLI, 'remaster', iso, '--user-data', 'big.yaml', '--out', out, '--cache-dir', 'cache'], { cwd: work, env: { PATH: process.env.PATH, HOME: work }, stdio: ['ignore', 'ignore', 'pipe'] });
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
