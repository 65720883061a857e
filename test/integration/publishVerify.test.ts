/**
 * Publishing into --out and `edgebuild verify` on real ISO 9660 images made
 * with xorriso; no Docker needed.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { ManifestInput } from '../../src/core/manifest.js';
import { sha256 } from '../../src/core/digest.js';
import { sha256File } from '../../src/adapters/checksum.js';
import { findUpToDate, publish } from '../../src/pipeline/publish.js';
import { InternalError, InterruptedError } from '../../src/errors.js';
import { CLI, exec, runCli } from './isoHelpers.js';
import { fixtureManifest, makeIso } from '../fixtures/publishedSet.js';
import { readYaml, runScript, type Workflow } from './githubWorkflow.js';

const USER_DATA = '#cloud-config\nstylus:\n  site:\n    edgeHostToken: abc\n  imageRedirectWebhook:\n    enable: false\n';
const WEBHOOK_ON = '#cloud-config\nstylus:\n  imageRedirectWebhook:\n    enable: true\n';

let dir: string;
beforeAll(async () => {
  if (!existsSync(CLI)) await exec('npm', ['run', 'build']);
}, 120_000);
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgebuild-publish-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function manifestInput(userData: string, key?: string): Omit<ManifestInput, 'artifacts'> {
  return fixtureManifest(userData, key === undefined ? {} : { buildKey: key });
}

async function publishIso(userData: string, out = join(dir, 'dist'), embedded: string | null = userData, isoMode = 0o644): Promise<string> {
  const built = join(dir, 'build', 'installer.iso');
  makeIso(built, embedded);
  const hashed = await sha256File(built);
  await publish({ outDir: out, isoName: 'installer', iso: { path: built, ...hashed }, manifest: manifestInput(userData), secrets: ['abc'], isoMode });
  return join(out, 'installer.iso');
}

describe('publish', () => {
  test('ISO, .sha256 checkable with sha256sum -c, and manifest; the built ISO is moved, no temp left', async () => {
    const iso = await publishIso(USER_DATA);
    const out = join(dir, 'dist');
    expect(readdirSync(out).sort()).toEqual(['installer.iso', 'installer.iso.sha256', 'manifest.json']);
    expect(execFileSync('sha256sum', ['-c', 'installer.iso.sha256'], { cwd: out, encoding: 'utf8' })).toBe('installer.iso: OK\n');
    expect(existsSync(join(dir, 'build', 'installer.iso'))).toBe(false);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { artifacts: { name: string; sha256: string; size: number }[] };
    expect(manifest.artifacts[0]).toEqual({ name: 'installer.iso', ...(await sha256File(iso)), mode: '0644' });
    expect(manifest.artifacts[1]!.sha256).toBe(sha256(readFileSync(join(out, 'installer.iso.sha256'))));
    expect(await findUpToDate(out, 'k'.repeat(64))).toBeDefined();
    expect(await findUpToDate(out, 'x'.repeat(64))).toBeUndefined();
  });

  test('a truncated published ISO is not up to date', async () => {
    const iso = await publishIso(USER_DATA);
    appendFileSync(iso, 'x');
    expect(await findUpToDate(join(dir, 'dist'), 'k'.repeat(64))).toBeUndefined();
  });

  test('temp files of dead edgebuild processes are swept, a live one is left alone', async () => {
    const out = join(dir, 'dist');
    mkdirSync(out);
    const dead = join(out, '.installer.iso.tmp-999999-0a0b0c0d');
    const live = join(out, `.installer.iso.tmp-${process.pid}-0a0b0c0d`);
    writeFileSync(dead, 'partial');
    writeFileSync(live, 'partial');
    await publishIso(USER_DATA, out);
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
  });

  test('interrupted before the renames: nothing under a final name, no temp, the ISO back where it was', async () => {
    const built = join(dir, 'build', 'installer.iso');
    makeIso(built, USER_DATA);
    const hashed = await sha256File(built);
    const controller = new AbortController();
    controller.abort(new Error('SIGINT'));
    const out = join(dir, 'dist');
    await expect(publish({ outDir: out, isoName: 'installer', iso: { path: built, ...hashed }, manifest: manifestInput(USER_DATA), secrets: [], isoMode: 0o600, signal: controller.signal })).rejects.toThrow(InterruptedError);
    expect(readdirSync(out)).toEqual([]);
    expect((await sha256File(built)).sha256).toBe(hashed.sha256);
  });

  test('an ISO name that is not a plain file name never leaves --out: internal error, nothing written, the ISO where the build left it', async () => {
    const built = join(dir, 'build', 'installer.iso');
    makeIso(built, USER_DATA);
    const hashed = await sha256File(built);
    const attempt = publish({ outDir: join(dir, 'dist'), isoName: '../escaped', iso: { path: built, ...hashed }, manifest: manifestInput(USER_DATA), secrets: [], isoMode: 0o644 });
    await expect(attempt).rejects.toThrow(InternalError);
    await expect(attempt).rejects.toThrow(/^publish target .*\/dist\/\.\.\/escaped\.iso is not directly in --out/);
    expect(readdirSync(dir).filter((f) => !f.startsWith('stage-'))).toEqual(['build']);
    expect(readdirSync(join(dir, 'build'))).toEqual(['installer.iso']);
    expect((await sha256File(built)).sha256).toBe(hashed.sha256);
  });

  test('a manifest.json edgebuild did not write is refused at publish too: exit 2, left byte for byte, the ISO back in the checkout', async () => {
    const built = join(dir, 'build', 'installer.iso');
    makeIso(built, USER_DATA);
    const hashed = await sha256File(built);
    const out = join(dir, 'dist');
    mkdirSync(out);
    const foreign = '{"name":"My PWA","start_url":"/"}\n';
    writeFileSync(join(out, 'manifest.json'), foreign);
    const attempt = publish({ outDir: out, isoName: 'installer', iso: { path: built, ...hashed }, manifest: manifestInput(USER_DATA), secrets: [], isoMode: 0o644 });
    await expect(attempt).rejects.toMatchObject({ exitCode: 2, code: 'out-foreign' });
    expect(readdirSync(out)).toEqual(['manifest.json']);
    expect(readFileSync(join(out, 'manifest.json'), 'utf8')).toBe(foreign);
    expect((await sha256File(built)).sha256).toBe(hashed.sha256);
  });

  test('an ISO embedding credentials is published 0600, also over an earlier 0644 one; .sha256 and manifest stay 0644; the manifest records the mode', async () => {
    const out = join(dir, 'dist');
    const mode = (name: string) => (statSync(join(out, name)).mode & 0o777).toString(8);
    await publishIso(USER_DATA, out);
    expect(mode('installer.iso')).toBe('644');
    await publishIso(USER_DATA, out, USER_DATA, 0o600);
    expect([mode('installer.iso'), mode('installer.iso.sha256'), mode('manifest.json')]).toEqual(['600', '644', '644']);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { artifacts: { name: string; mode?: string }[] };
    expect(manifest.artifacts.map((a) => [a.name, a.mode])).toEqual([['installer.iso', '0600'], ['installer.iso.sha256', undefined]]);
  });

  test('the manifest never carries secrets given to it', async () => {
    await publishIso(USER_DATA);
    expect(readFileSync(join(dir, 'dist', 'manifest.json'), 'utf8')).not.toContain('edgeHostToken');
  });
});

describe('edgebuild verify', () => {
  const verify = (iso: string) => runCli([CLI, 'verify', iso, '--json'], process.env, dir);
  const errorOf = (stdout: string) => (JSON.parse(stdout) as { error: { code: string; checks?: { id: string; ok: boolean }[] } }).error;

  test('a published ISO verifies', async () => {
    const iso = await publishIso(USER_DATA);
    const run = await verify(iso);
    expect(run.code, run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout) as { status: string; checks: { id: string; ok: boolean }[]; sha256: string };
    expect(doc.status).toBe('verified');
    expect(doc.checks.map((c) => c.id)).toEqual(['manifest-artifact', 'iso-exists', 'checksum', 'user-data', 'webhook-off']);
    expect(doc.sha256).toBe((await sha256File(iso)).sha256);
  });

  test('a modified ISO fails against both its .sha256 and the manifest', async () => {
    const iso = await publishIso(USER_DATA);
    appendFileSync(iso, 'tampered');
    const run = await verify(iso);
    expect(run.code).toBe(1);
    const failed = errorOf(run.stdout).checks!.filter((c) => !c.ok).map((c) => c.id);
    expect(failed).toEqual(['manifest-artifact', 'checksum-mismatch']);
  });

  test('an ISO carrying other user-data than the manifest records fails', async () => {
    const iso = await publishIso(USER_DATA, join(dir, 'dist'), USER_DATA.replace('abc', 'xyz'));
    const run = await verify(iso);
    expect(run.code).toBe(1);
    expect(errorOf(run.stdout).code).toBe('user-data-differs');
  });

  test('an ISO whose user-data leaves the webhook on fails', async () => {
    const iso = await publishIso(WEBHOOK_ON);
    const run = await verify(iso);
    expect(run.code).toBe(1);
    expect(errorOf(run.stdout).code).toBe('webhook-enabled');
  });

  test('an ISO without user-data fails', async () => {
    const iso = await publishIso(USER_DATA, join(dir, 'dist'), null);
    const run = await verify(iso);
    expect(errorOf(run.stdout).code).toBe('user-data-missing');
  });

  test('without manifest.json: exit 1, manifest-missing', async () => {
    const iso = await publishIso(USER_DATA);
    rmSync(join(dir, 'dist', 'manifest.json'));
    const run = await verify(iso);
    expect(run.code).toBe(1);
    expect(errorOf(run.stdout).code).toBe('manifest-missing');
  });

  test('the files a release publishes, renamed per config, verify with --manifest', async () => {
    await publishIso(USER_DATA);
    // What build-isos.yml's publish job does with the build's artifact, gh replaced by a no-op.
    const job = join(dir, 'job');
    cpSync(join(dir, 'dist'), join(job, 'iso'), { recursive: true });
    mkdirSync(join(job, 'bin'));
    writeFileSync(join(job, 'bin', 'gh'), '#!/bin/sh\nexit 0\n');
    chmodSync(join(job, 'bin', 'gh'), 0o755);
    const script = readYaml<Workflow>('.github/workflows/build-isos.yml').data.jobs.publish!.steps.find((s) => s.name === 'Attach to the release')!.run!;
    const published = runScript(script, { cwd: job, env: { PATH: `${join(job, 'bin')}:${process.env.PATH}`, TAG: 'v1', NAME: 'lab', GITHUB_SHA: 'abc', ALLOW: 'false' } });
    expect(published.code, published.stdout + published.stderr).toBe(0);
    expect(readdirSync(join(job, 'upload')).sort()).toEqual(['lab-installer.iso', 'lab-installer.iso.sha256', 'lab-manifest.json']);

    const run = await runCli([CLI, 'verify', 'lab-installer.iso', '--manifest', 'lab-manifest.json', '--json'], process.env, join(job, 'upload'));
    expect(run.code, run.stdout).toBe(0);
    const doc = JSON.parse(run.stdout) as { status: string; checks: { id: string; message: string }[] };
    expect(doc.status).toBe('verified');
    expect(doc.checks.find((c) => c.id === 'manifest-artifact')!.message).toBe('lab-installer.iso matches lab-manifest.json (published as installer.iso)');

    // Without --manifest the fix names it, for someone who only downloaded the files.
    const bare = await runCli([CLI, 'verify', 'lab-installer.iso'], process.env, join(job, 'upload'));
    expect(bare.code).toBe(1);
    expect(bare.stderr).toContain('edgebuild verify <iso> --manifest <file>');
    expect(bare.stderr).not.toContain('--force');
  });

  test('a path that is not there: exit 1 naming it', async () => {
    const run = await verify(join(dir, 'nope.iso'));
    expect(run.code).toBe(1);
    expect(errorOf(run.stdout).code).toBe('iso-missing');
    expect(run.stderr).toContain('nope.iso');
  });

  test('without --json: one line per check on stdout', async () => {
    const iso = await publishIso(USER_DATA);
    const run = await runCli([CLI, 'verify', iso], process.env, dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Verified .*installer\.iso: \d+ bytes, sha256 [0-9a-f]{64}\n {2}ok {2}installer\.iso matches manifest\.json/);
  });
});

/** A checkout on another file system than --out (tmpfs /dev/shm beside the temp dir), when this host has one. */
const otherFs = existsSync('/dev/shm') && statSync('/dev/shm').dev !== statSync(tmpdir()).dev ? '/dev/shm' : undefined;

describe.skipIf(!otherFs)('publish across file systems', () => {
  let checkout: string;
  beforeEach(() => {
    checkout = mkdtempSync(join(otherFs!, 'edgebuild-checkout-'));
  });
  afterEach(() => rmSync(checkout, { recursive: true, force: true }));

  test('the ISO is copied once, checked against the verified hash, and the checkout copy removed after the rename', async () => {
    const built = join(checkout, 'installer.iso');
    makeIso(built, USER_DATA);
    const hashed = await sha256File(built);
    const out = join(dir, 'dist');
    await publish({ outDir: out, isoName: 'installer', iso: { path: built, ...hashed }, manifest: manifestInput(USER_DATA), secrets: [], isoMode: 0o600 });
    expect(readdirSync(out).sort()).toEqual(['installer.iso', 'installer.iso.sha256', 'manifest.json']);
    expect(await sha256File(join(out, 'installer.iso'))).toEqual(hashed);
    expect(statSync(join(out, 'installer.iso')).mode & 0o777).toBe(0o600);
    expect(existsSync(built)).toBe(false);
    const verified = await runCli([CLI, 'verify', join(out, 'installer.iso'), '--json'], process.env, dir);
    expect(verified.code, verified.stderr).toBe(0);
  });

  test('an ISO that changed since it was verified is refused: publish-copy, nothing published, the checkout ISO kept', async () => {
    const built = join(checkout, 'installer.iso');
    makeIso(built, USER_DATA);
    const hashed = await sha256File(built);
    appendFileSync(built, 'changed after verification');
    const out = join(dir, 'dist');
    const attempt = publish({ outDir: out, isoName: 'installer', iso: { path: built, ...hashed }, manifest: manifestInput(USER_DATA), secrets: [], isoMode: 0o644 });
    await expect(attempt).rejects.toMatchObject({ code: 'publish-copy' });
    expect(readdirSync(out)).toEqual([]);
    expect(existsSync(built)).toBe(true);
  });
});
