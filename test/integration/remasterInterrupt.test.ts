/**
 * `edgebuild remaster` interrupted: the built CLI as a real process (e2e
 * tier), SIGINT while xorriso copies a 512 MiB installer ISO (a user-data
 * that does not fit in place, so xorriso writes).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeKairosIso } from '../fixtures/installerIso.js';
import { CLI } from './cli.js';

const OLD = '#cloud-config\nstylus:\n  site:\n    paletteEndpoint: old.example.invalid\n';
/** Too big for the old user-data's 2048 bytes: xorriso writes (the in-place copy is over in a fraction of a second). */
const NEW = `#cloud-config\nstylus:\n  site:\n    paletteEndpoint: new.example.invalid\n# ${'padding '.repeat(300)}\n`;
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'edgebuild-remaster-int-'));
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('Ctrl-C', () => {
  test('mid-write: exit 130, no xorriso left, no work directory or partial ISO in --out', async () => {
    const iso = join(work, 'big.iso');
    makeKairosIso(join(work, 'big-tree'), iso, OLD, 512);
    const newUserData = join(work, 'new.yaml');
    writeFileSync(newUserData, NEW);
    const child = spawn(process.execPath, [CLI, 'remaster', iso, '--user-data', newUserData, '--out', join(work, 'big-out'), '--trust-input'], { cwd: work, env: { PATH: process.env.PATH, HOME: process.env.HOME }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    for (let i = 0; i < 200 && !stderr.includes('Writing'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(stderr).toContain('Writing');
    await new Promise((r) => setTimeout(r, 300)); // xorriso is copying
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(readdirSync(join(work, 'big-out'))).toEqual([]);
    const xorrisos = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(join(work, 'big-out'));
      } catch {
        return false;
      }
    });
    expect(xorrisos).toEqual([]);
  }, 120_000);

  test('in place, while the new image is hashed (on a worker thread): exit 130, no work directory or partial ISO in --out', async () => {
    const iso = join(work, 'fits.iso');
    makeKairosIso(join(work, 'fits-tree'), iso, OLD, 512);
    const fits = join(work, 'fits.yaml');
    writeFileSync(fits, '#cloud-config\nstylus:\n  site:\n    paletteEndpoint: new.example.invalid\n');
    const out = join(work, 'fits-out');
    const child = spawn(process.execPath, [CLI, 'remaster', iso, '--user-data', fits, '--out', out, '--trust-input'], { cwd: work, env: { PATH: process.env.PATH, HOME: process.env.HOME }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      // Once: a second Ctrl-C leaves without cleaning up.
      if (stderr.includes('Checking the new ISO') && !child.killed) child.kill('SIGINT');
    });
    expect(await exited, stderr).toBe(130);
    expect(stderr).toContain('in place');
    expect(readdirSync(out)).toEqual([]);
  }, 120_000);
});

