/**
 * The sites command's image writer on its worker thread (run `npm run build` first: the
 * worker is the built dist/adapters/siteImageWorker.js, so the built adapter is tested).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { buildIso, buildIsoParts, type IsoSpec } from '../../src/core/iso9660/writer.js';
import type { ImageWriter as Writer } from '../../src/adapters/siteOutput.js';

const { ImageWriter } = (await import(resolve('dist/adapters/siteOutput.js'))) as { ImageWriter: typeof Writer };
const dir = mkdtempSync(join(tmpdir(), 'edgebuild-images-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const spec = (text: string): IsoSpec => ({ volumeId: 'cidata', files: [{ name: 'user-data', data: Buffer.from(text) }, { name: 'meta-data', data: Buffer.alloc(0) }], date: new Date(1767225600000) });

describe('ImageWriter', () => {
  test('writes each image as its bytes (leading and trailing zeros left as holes) and returns their sha256', async () => {
    const writer = new ImageWriter(dir, 1000);
    try {
      const texts = Array.from({ length: 40 }, (_, i) => `#cloud-config\nname: site-${i}\n${'x'.repeat(i * 300)}\n`);
      const hashes = await Promise.all(texts.map((t, i) => { const { head, size } = buildIsoParts(spec(t)); return writer.write(`s${i}.iso`, head, size, 0o600); }));
      texts.forEach((t, i) => {
        const want = buildIso(spec(t));
        const got = readFileSync(join(dir, `s${i}.iso`));
        expect(got.equals(want)).toBe(true);
        expect(hashes[i]).toBe(createHash('sha256').update(want).digest('hex'));
        expect(statSync(join(dir, `s${i}.iso`)).mode & 0o777).toBe(0o600);
      });
    } finally {
      await writer.close();
    }
  });

  test('more images than fit the shared buffer at once, and one too large for a slot, all built in one scratch buffer, hash right', async () => {
    const writer = new ImageWriter(dir, 1000);
    const scratch = Buffer.alloc(256 * 1024);
    try {
      const texts = Array.from({ length: 3 * ImageWriter.capacity }, (_, i) => `#cloud-config\nn: ${i}\n${i === 5 || i === 70 ? 'y'.repeat(100_000) : ''}\n`);
      const hashes = await Promise.all(texts.map((t, i) => { const { head, size } = buildIsoParts(spec(t), scratch); return writer.write(`m${i}.iso`, head, size, 0o600); }));
      expect(hashes).toEqual(texts.map((t) => createHash('sha256').update(buildIso(spec(t))).digest('hex')));
    } finally {
      await writer.close();
    }
  });

  test('a few images are hashed without a worker thread, the same', async () => {
    const writer = new ImageWriter(dir, 3);
    try {
      const texts = ['#cloud-config\na: 1\n', '#cloud-config\nb: 2\n'];
      const hashes = await Promise.all(texts.map((t, i) => { const { head, size } = buildIsoParts(spec(t)); return writer.write(`few${i}.iso`, head, size, 0o600); }));
      expect(hashes).toEqual(texts.map((t) => createHash('sha256').update(buildIso(spec(t))).digest('hex')));
      expect(readFileSync(join(dir, 'few1.iso')).equals(buildIso(spec(texts[1]!)))).toBe(true);
    } finally {
      await writer.close();
    }
  });

  test('a failed write is thrown with its error code, and a closed writer refuses more', async () => {
    const writer = new ImageWriter(dir, 1000);
    const { head, size } = buildIsoParts(spec('#cloud-config\n'));
    await writer.write('twice.iso', head, size, 0o600);
    expect(() => writer.write('twice.iso', head, size, 0o600)).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    await writer.close();
    await expect(writer.write('after.iso', buildIsoParts(spec('#cloud-config\n')).head, size, 0o600)).rejects.toThrow(/closed/);
  });
});
