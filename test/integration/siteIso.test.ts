/**
 * The in-process ISO writer against the tools that read ISOs on real hosts:
 * xorriso, isoinfo (plain, Joliet and Rock Ridge views), blkid, and our reader.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openIso } from '../../src/adapters/iso9660Reader.js';
import { buildIso } from '../../src/core/iso9660/writer.js';

const USER_DATA = '#cloud-config\nstylus:\n  site:\n    name: "berlin-01"\n    tags:\n      note: "a: b # c \'d\' ünïcödé"\n';
const DATE = new Date('2026-03-04T05:06:07.890Z');

let work: string;
let iso: string;

function tool(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'edgebuild-siteiso-'));
  iso = join(work, 'site.iso');
  const bytes = buildIso({
    volumeId: 'cidata',
    files: [
      { name: 'user-data', data: Buffer.from(USER_DATA) },
      { name: 'meta-data', data: Buffer.alloc(0) },
    ],
    date: DATE,
  });
  writeFileSync(iso, bytes);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('site ISO written in-process', () => {
  test('blkid sees an iso9660 filesystem labelled cidata', () => {
    const out = tool('blkid', ['-p', '-o', 'export', iso]);
    expect(out).toMatch(/^TYPE=iso9660$/m);
    expect(out).toMatch(/^LABEL=cidata$/m);
    expect(out).toMatch(/^UUID=2026-03-04-05-06-07-89$/m);
  });

  test('isoinfo -d reports the volume id, Joliet and Rock Ridge', () => {
    const out = tool('isoinfo', ['-d', '-i', iso]);
    expect(out).toMatch(/^Volume id: cidata$/m);
    expect(out).toMatch(/Joliet with UCS level 3 found/);
    expect(out).toMatch(/Rock Ridge signatures version 1 found/);
    expect(out).toMatch(/^Logical block size is: 2048$/m);
  });

  test.each([
    ['plain ISO 9660', [], '/USER_DAT.;1', ['META_DAT.;1', 'USER_DAT.;1']],
    ['Joliet', ['-J'], '/user-data', ['meta-data', 'user-data']],
    ['Rock Ridge', ['-R'], '/user-data', ['meta-data', 'user-data']],
  ])('isoinfo lists and extracts the %s names', (_view, flags, path, names) => {
    const listing = tool('isoinfo', [...flags, '-l', '-i', iso]);
    for (const name of names) expect(listing).toContain(` ${name}`);
    expect(tool('isoinfo', [...flags, '-i', iso, '-x', path])).toBe(USER_DATA);
  });

  test('isoinfo -R shows POSIX modes from the PX entries', () => {
    const listing = tool('isoinfo', ['-R', '-l', '-i', iso]);
    expect(listing).toMatch(/-r--r--r--\s+1\s+0\s+0\s+0 .* meta-data/);
    expect(listing).toMatch(/-r--r--r--\s+1\s+0\s+0\s+\d+ .* user-data/);
  });

  test('xorriso reads the volume id and extracts both files intact', () => {
    const out = join(work, 'x');
    const log = tool('xorriso', ['-indev', iso, '-osirrox', 'on', '-extract', '/', out, '-pvd_info']);
    expect(log).toMatch(/Volume Id\s*:\s*cidata/);
    expect(tool('cat', [join(out, 'user-data')])).toBe(USER_DATA);
    expect(tool('cat', [join(out, 'meta-data')])).toBe('');
    const check = execFileSync('xorriso', ['-indev', iso, '-check_media', '--'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(check).not.toMatch(/FAILURE/);
  });

  test('our reader reads it through Rock Ridge', async () => {
    const image = await openIso(iso);
    try {
      expect(image.volumeId).toBe('cidata');
      expect(await image.list()).toEqual(['meta-data', 'user-data']);
      expect((await image.readFile('user-data'))?.toString('utf8')).toBe(USER_DATA);
      expect((await image.readFile('meta-data'))?.length).toBe(0);
    } finally {
      await image.close();
    }
  });

  test('the same inputs give the same bytes', () => {
    const a = buildIso({ volumeId: 'cidata', files: [{ name: 'user-data', data: Buffer.from('x') }], date: DATE });
    const b = buildIso({ volumeId: 'cidata', files: [{ name: 'user-data', data: Buffer.from('x') }], date: DATE });
    expect(a.equals(b)).toBe(true);
  });

  test('files larger than one sector span several sectors and stay intact', () => {
    const big = Buffer.from('#cloud-config\n' + 'k: v\n'.repeat(2000));
    const path = join(work, 'big.iso');
    writeFileSync(path, buildIso({ volumeId: 'cidata', files: [{ name: 'user-data', data: big }, { name: 'meta-data', data: Buffer.alloc(0) }], date: DATE }));
    expect(tool('isoinfo', ['-R', '-i', path, '-x', '/user-data'])).toBe(big.toString());
    expect(tool('isoinfo', ['-J', '-i', path, '-x', '/user-data'])).toBe(big.toString());
  });
});
