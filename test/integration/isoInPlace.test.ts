/**
 * The in-place plan (core/iso9660/inPlace.ts through adapters/isoPatch.ts)
 * on images made by xorriso, grub-mkrescue and genisoimage: which records it
 * patches in GRUB's hybrid layout (the ISO partition's own trees), the
 * ISO 9660:1999 tree, and each real-world reason to leave the write to
 * xorriso (El Torito boot image, HFS+ hybrid, hard link, zisofs, MD5 tags).
 */
import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { planInPlaceWrite } from '../../src/adapters/isoPatch.js';
import { makeGrubRescueIso, makeKairosIso } from '../fixtures/installerIso.js';
import { runImageTool } from '../fixtures/imageTool.js';

const USER_DATA = '#cloud-config\nstylus:\n  site:\n    paletteEndpoint: old.example.invalid\n';
let work: string;

/** A tree with files-iso/config.yaml, and `more` done to it before the image is made. */
function stage(name: string, more?: (root: string) => void): string {
  const root = join(work, name);
  mkdirSync(join(root, 'files-iso'), { recursive: true });
  writeFileSync(join(root, 'files-iso/config.yaml'), USER_DATA);
  writeFileSync(join(root, 'other.txt'), 'other\n');
  more?.(root);
  return root;
}

function xorriso(name: string, args: string[]): string {
  const iso = join(work, `${name}.iso`);
  runImageTool('xorriso', ['-outdev', iso, ...args, '-commit'], iso);
  return iso;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'edgebuild-inplace-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('in place', () => {
  test("Kairos's hybrid layout: four records, the ISO partition's own primary and Joliet trees among them", async () => {
    const iso = join(work, 'kairos.iso');
    makeKairosIso(join(work, 'kairos-tree'), iso, USER_DATA);
    const plan = await planInPlaceWrite(iso, 'files-iso/config.yaml', 2048);
    expect(plan.method).toBe('in-place');
    if (plan.method !== 'in-place') return;
    expect(plan.patch.trees).toEqual(['primary (Rock Ridge)', 'joliet', 'primary (Rock Ridge) in MBR partition 1', 'joliet in MBR partition 1']);
    expect(plan.patch.records).toHaveLength(4);
    const lba = /File data lba:\s+0 ,\s+(\d+) ,/.exec(execFileSync('xorriso', ['-indev', iso, '-find', '/files-iso/config.yaml', '-exec', 'report_lba'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }))?.[1];
    expect(plan.patch.dataOffset).toBe(Number(lba) * 2048);
  });

  test('genisoimage -iso-level 4 (an ISO 9660:1999 tree, sharing the primary directories) and Joliet', async () => {
    const iso = join(work, 'level4.iso');
    execFileSync('genisoimage', ['-quiet', '-iso-level', '4', '-J', '-R', '-o', iso, stage('level4')]);
    const plan = await planInPlaceWrite(iso, 'files-iso/config.yaml', 100);
    expect(plan).toMatchObject({ method: 'in-place', patch: { trees: ['primary (Rock Ridge)', 'enhanced', 'joliet'] } });
  });
});

describe('left to xorriso, with the reason', () => {
  test.each([
    ['a user-data beyond its sectors', () => xorriso('plain', ['-map', stage('plain'), '/']), 'files-iso/config.yaml', 2049, 'the new user-data (2049 bytes) does not fit the 2048 bytes allocated to files-iso/config.yaml'],
    ['a hard link (xorriso -hardlinks on)', () => xorriso('hardlink', ['-hardlinks', 'on', '-map', stage('hardlink', (r) => linkSync(join(r, 'files-iso/config.yaml'), join(r, 'link.yaml'))), '/']), 'files-iso/config.yaml', 10, '/link.yaml in the primary (Rock Ridge) tree shares the bytes of files-iso/config.yaml'],
    ['zisofs (-set_filter_r --zisofs)', () => xorriso('zisofs', ['-map', stage('zisofs', (r) => writeFileSync(join(r, 'files-iso/config.yaml'), `${USER_DATA}#${'x'.repeat(9000)}\n`)), '/', '-set_filter_r', '--zisofs', '/files-iso', '--']), 'files-iso/config.yaml', 10, 'files-iso/config.yaml is zisofs-compressed (Rock Ridge ZF)'],
    ['MD5 checksums (xorriso -md5 on)', () => xorriso('md5', ['-md5', 'on', '-map', stage('md5'), '/']), 'files-iso/config.yaml', 10, { reason: 'the image carries libisofs MD5 checksums (xorriso -md5 on), which a patch would make fail -check_md5', md5: true }],
    ['the El Torito boot image', () => {
      const iso = join(work, 'boot.iso');
      makeKairosIso(join(work, 'boot-tree'), iso, USER_DATA);
      return iso;
    }, 'boot/grub/eltorito.img', 10, 'boot/grub/eltorito.img overlaps an El Torito boot image'],
    ["grub-mkrescue's HFS+ hybrid", () => {
      const iso = join(work, 'rescue.iso');
      makeGrubRescueIso(join(work, 'rescue-tree'), iso, USER_DATA);
      return iso;
    }, 'files-iso/config.yaml', 10, 'the image has an Apple partition map (an HFS+ hybrid keeps its own record of each file)'],
  ])('%s', async (_what, make, path, size, reason) => {
    expect(await planInPlaceWrite(make(), path, size)).toEqual({ method: 'xorriso', ...(typeof reason === 'string' ? { reason } : reason) });
  });
});
