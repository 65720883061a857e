/**
 * The in-place plan on images of our own writer (core/iso9660/writer.ts),
 * held in memory: the patch it computes turns the image into exactly the one
 * the writer makes for the new content, and each thing that must send the
 * remaster to xorriso does, with its reason. Images made by xorriso and
 * genisoimage (El Torito, GRUB's hybrid layout, hard links, zisofs, MD5 tags,
 * the ISO 9660:1999 tree) are in test/integration/isoInPlace.test.ts.
 */
import { describe, expect, test } from 'vitest';
import { buildIso } from '../../src/core/iso9660/writer.js';
import { patchWrites, planInPlace, type InPlacePlan } from '../../src/core/iso9660/inPlace.js';

const DATE = new Date('2026-01-01T00:00:00Z');
const OLD = Buffer.alloc(3000, 'o');

function image(userData: Uint8Array = OLD, other: Uint8Array = Buffer.from('kept\n')): Buffer {
  return buildIso({ volumeId: 'CIDATA', files: [{ name: 'user-data', data: userData }, { name: 'meta-data', data: other }], date: DATE });
}

function plan(img: Buffer, newSize: number, path = 'user-data'): Promise<InPlacePlan> {
  const read = async (offset: number, length: number): Promise<Uint8Array> => {
    if (offset + length > img.length) throw new Error('beyond the end');
    return img.subarray(offset, offset + length);
  };
  return planInPlace(read, { path, newSize, imageSize: img.length });
}

/** Byte offset of the primary tree's record of `id` (root directory at sector 23). */
function recordOf(img: Buffer, id: string): number {
  const at = img.indexOf(Buffer.from(id, 'latin1'), 23 * 2048);
  return at - 33;
}

describe('an eligible file', () => {
  test.each([
    ['shorter, same sectors', 2100],
    ['longer, up to the allocation', 4096],
    ['one sector less', 10],
  ])('%s: the patched image is byte for byte the one the writer makes for the new content', async (_what, size) => {
    const before = image();
    const result = await plan(before, size);
    expect(result.method).toBe('in-place');
    if (result.method !== 'in-place') return;
    expect(result.patch).toMatchObject({ dataOffset: 26 * 2048, oldSize: 3000, newSize: size, allocated: 4096, trees: ['primary (Rock Ridge)', 'joliet'] });
    const next = Buffer.alloc(size, 'n');
    const patched = Buffer.from(before);
    for (const w of patchWrites(result.patch, next)) Buffer.from(w.bytes).copy(patched, w.offset);
    // The writer lays the files out by sector count: with the same sectors, the layout is the old one.
    const sameLayout = Math.ceil(size / 2048) === 2 ? image(next) : undefined;
    if (sameLayout) expect(patched.equals(sameLayout)).toBe(true);
    else {
      expect(patched.subarray(26 * 2048, 26 * 2048 + size).equals(next)).toBe(true);
      expect(patched.subarray(26 * 2048 + size, 28 * 2048).every((b) => b === 0)).toBe(true);
    }
    const changed = [...patched.keys()].filter((i) => patched[i] !== before[i]);
    const allowed = (i: number): boolean => (i >= 26 * 2048 && i < 28 * 2048) || result.patch.records.some((r) => i >= r.offset + 10 && i < r.offset + 18);
    expect(changed.filter((i) => !allowed(i))).toEqual([]);
  });
});

describe('what sends the remaster to xorriso', () => {
  test('a new user-data one byte beyond the allocation', async () => {
    expect(await plan(image(), 4097)).toEqual({ method: 'xorriso', reason: 'the new user-data (4097 bytes) does not fit the 4096 bytes allocated to user-data' });
  });

  test('an empty file (nothing allocated)', async () => {
    expect(await plan(image(Buffer.alloc(0)), 10)).toMatchObject({ method: 'xorriso', reason: expect.stringContaining('empty') });
  });

  test('a file not in the image', async () => {
    expect(await plan(image(), 10, 'files-iso/config.yaml')).toMatchObject({ method: 'xorriso', reason: expect.stringContaining('is not in the primary') });
  });

  test('a multi-extent file', async () => {
    const img = image();
    const flags = recordOf(img, 'USER_DAT.;1') + 25;
    img[flags] = img[flags]! | 0x80;
    expect(await plan(img, 10)).toMatchObject({ method: 'xorriso', reason: 'user-data is stored in more than one extent' });
  });

  test.each([
    ['interleaved (file unit size set)', 26, 'user-data is stored interleaved'],
    ['an extended attribute record before the data', 1, 'user-data has an extended attribute record'],
  ])('%s', async (_what, at, reason) => {
    const img = image();
    img[recordOf(img, 'USER_DAT.;1') + at] = 1;
    expect(await plan(img, 10)).toEqual({ method: 'xorriso', reason });
  });

  test('another path whose record points into the extent (a hard link)', async () => {
    const img = image();
    const other = recordOf(img, 'META_DAT.;1');
    img.writeUInt32LE(27, other + 2); // the second sector of user-data's extent
    img.writeUInt32BE(27, other + 6);
    expect(await plan(img, 10)).toMatchObject({ method: 'xorriso', reason: expect.stringMatching(/^\/meta-data in the primary \(Rock Ridge\) tree shares the bytes of user-data/) });
  });

  test('a Rock Ridge ZF entry (zisofs)', async () => {
    const img = image();
    const rec = recordOf(img, 'USER_DAT.;1');
    const tf = img.indexOf('TF', rec + 33, 'latin1');
    img.write('ZF', tf, 'latin1');
    expect(await plan(img, 10)).toMatchObject({ method: 'xorriso', reason: expect.stringContaining('zisofs') });
  });

  test('an Apple partition map (HFS+ hybrid)', async () => {
    const img = image();
    img.write('ER', 0, 'latin1');
    img.write('PM', 2048, 'latin1');
    expect(await plan(img, 10)).toMatchObject({ method: 'xorriso', reason: expect.stringContaining('Apple partition map') });
  });

  test('an MBR partition over the extent; one covering the whole image from 0 is fine', async () => {
    const withPartition = (start: number, blocks: number): Buffer => {
      const img = image();
      img[446 + 4] = 0x83;
      img.writeUInt32LE(start, 446 + 8);
      img.writeUInt32LE(blocks, 446 + 12);
      img[510] = 0x55;
      img[511] = 0xaa;
      return img;
    };
    expect(await plan(withPartition(26 * 4, 4), 10)).toEqual({ method: 'xorriso', reason: 'user-data overlaps MBR partition 1' });
    expect((await plan(withPartition(0, image().length / 512), 10)).method).toBe('in-place');
    expect((await plan(withPartition(28 * 4, 8), 10)).method).toBe('in-place');
  });

  test('a path table over the extent', async () => {
    const img = image();
    img.writeUInt32LE(27, 16 * 2048 + 144); // the primary's optional L path table, in user-data's second sector
    expect(await plan(img, 10)).toEqual({ method: 'xorriso', reason: 'user-data overlaps a path table' });
  });

  test('a libisofs MD5 tag among the metadata sectors', async () => {
    const img = image();
    img.write('libisofs_sb_checksum_tag_v1 pos=22', 22 * 2048, 'latin1');
    expect(await plan(img, 10)).toMatchObject({ method: 'xorriso', reason: expect.stringContaining('MD5') });
  });

  test('a truncated image is a reason, not an exception', async () => {
    const img = image().subarray(0, 23 * 2048 + 1000); // the root directory cut short
    expect(await plan(img, 10)).toMatchObject({ method: 'xorriso', reason: expect.stringContaining('could not be read') });
  });
});
