/**
 * The ISO 9660 reader against real images made by xorriso and genisoimage,
 * with and without Rock Ridge and Joliet, plus damaged and non-ISO files.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MAX_READ_BYTES, openIso } from '../../src/adapters/iso9660Reader.js';
import type { IsoImage } from '../../src/adapters/iso9660Reader.js';
import { RuntimeError } from '../../src/errors.js';
import { runImageTool } from '../fixtures/imageTool.js';

const LONG_NAME = 'a-rather-long-file-name-beyond-eight-dot-three.config.yaml'; // 58 chars: fits Joliet's 64
const DEEP = 'files-iso/a/b/c/d/e/f/g/h/i/j/deep.txt'; // deeper than ISO 9660's 8 levels
const files: Record<string, string> = {
  'config.yaml': '#cloud-config\nstylus:\n  site: {}\n', // a UKI build keeps it at the root
  'files-iso/config.yaml': '#cloud-config\nstylus:\n  imageRedirectWebhook:\n    enable: false\n',
  [`files-iso/${LONG_NAME}`]: 'long: true\n',
  'files-iso/MixedCase.Yaml': 'mixed: true\n',
  'files-iso/noext': 'no extension\n',
  [DEEP]: 'deep\n',
};

let work: string;
let src: string;

/** The tool's last argument or the one after -o/-outdev is its output. */
function run(command: string, args: string[]): void {
  const flag = args.findIndex((a) => a === '-o' || a === '-outdev');
  if (command === 'xorriso' && flag >= 0) runImageTool(command, args, args[flag + 1]!);
  else execFileSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function image(name: string, make: (out: string) => void): string {
  const out = join(work, name);
  make(out);
  return out;
}

async function withIso<T>(path: string, fn: (iso: IsoImage) => Promise<T>): Promise<T> {
  const iso = await openIso(path);
  try {
    return await fn(iso);
  } finally {
    await iso.close();
  }
}

async function text(iso: IsoImage, path: string): Promise<string | undefined> {
  return (await iso.readFile(path))?.toString('utf8');
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'edgebuild-iso-'));
  src = join(work, 'src');
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(src, path)), { recursive: true });
    writeFileSync(join(src, path), content);
  }
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.each([
  ['xorriso -R -J', 'xorriso', (out: string) => run('xorriso', ['-as', 'mkisofs', '-R', '-J', '-V', 'EDGE_TEST', '-o', out, src])],
  // genisoimage relocates directories deeper than 8 levels into rr_moved (Rock Ridge CL/RE entries).
  ['genisoimage -R -J', 'genisoimage', (out: string) => run('genisoimage', ['-quiet', '-R', '-J', '-V', 'EDGE_TEST', '-o', out, src])],
  ['genisoimage -R', 'genisoimage-rr', (out: string) => run('genisoimage', ['-quiet', '-R', '-V', 'EDGE_TEST', '-o', out, src])],
])('Rock Ridge image from %s', (_title, name, make) => {
  let path: string;
  beforeAll(() => {
    path = image(`${name}.iso`, make);
  });

  test('reads every file by its Rock Ridge name', async () => {
    await withIso(path, async (iso) => {
      expect(iso.volumeId).toBe('EDGE_TEST');
      for (const [file, content] of Object.entries(files)) expect(await text(iso, file)).toBe(content);
      expect(await text(iso, `/${DEEP}`)).toBe('deep\n');
    });
  });

  test('lists directories with Rock Ridge names, directories marked with /', async () => {
    await withIso(path, async (iso) => {
      const root = await iso.list();
      expect(root).toContain('config.yaml');
      expect(root).toContain('files-iso/');
      expect(await iso.list('files-iso')).toEqual(['MixedCase.Yaml', LONG_NAME, 'a/', 'config.yaml', 'noext'].sort());
      expect(await iso.list('files-iso/a/b/c/d/e/f/g/h/i/j')).toEqual(['deep.txt']);
      // The relocated directory appears where it belongs, not twice.
      expect(await iso.list('files-iso/a/b/c/d/e/f/g')).toEqual(['h/']);
    });
  });

  test('answers undefined for missing files, directories and parent references', async () => {
    await withIso(path, async (iso) => {
      expect(await iso.readFile('files-iso/missing.yaml')).toBeUndefined();
      expect(await iso.readFile('files-iso')).toBeUndefined();
      expect(await iso.readFile('files-iso/config.yaml/x')).toBeUndefined();
      expect(await iso.readFile('files-iso/../config.yaml')).toBeUndefined();
      await expect(iso.list('config.yaml')).rejects.toThrow(/not a directory/);
    });
  });
});

describe('Joliet-only image (genisoimage -J)', () => {
  let path: string;
  beforeAll(() => {
    path = image('joliet.iso', (out) => run('genisoimage', ['-quiet', '-J', '-V', 'JOLIET', '-o', out, src]));
  });

  test('reads by Joliet names, keeping case and long names', async () => {
    await withIso(path, async (iso) => {
      expect(iso.volumeId).toBe('JOLIET');
      expect(await text(iso, 'files-iso/config.yaml')).toBe(files['files-iso/config.yaml']);
      expect(await text(iso, `files-iso/${LONG_NAME}`)).toBe('long: true\n');
      expect(await text(iso, 'files-iso/MixedCase.Yaml')).toBe('mixed: true\n');
      expect(await text(iso, 'files-iso/mixedcase.yaml')).toBe('mixed: true\n');
      expect(await iso.list('files-iso')).toContain('MixedCase.Yaml');
    });
  });
});

describe.each([
  // Level 1: 8.3 upper-case names, '-' becomes '_' (FILES_IS/CONFIG.YAM;1).
  ['genisoimage level 1', 'plain1', (out: string) => run('genisoimage', ['-quiet', '-V', 'PLAIN', '-o', out, src])],
  // Level 3 via xorriso's native commands, Rock Ridge and Joliet off (FILES_ISO/CONFIG.YAML;1).
  ['xorriso without RR/Joliet', 'plain3', (out: string) => run('xorriso', ['-outdev', out, '-rockridge', 'off', '-joliet', 'off', '-volid', 'PLAIN', '-map', src, '/'])],
])('plain ISO 9660 image from %s', (_title, name, make) => {
  let path: string;
  beforeAll(() => {
    path = image(`${name}.iso`, make);
  });

  test('finds files case-insensitively without ";1" and the trailing "."', async () => {
    await withIso(path, async (iso) => {
      expect(iso.volumeId).toBe('PLAIN');
      expect(await text(iso, 'config.yaml')).toBe(files['config.yaml']);
      expect(await text(iso, 'files-iso/config.yaml')).toBe(files['files-iso/config.yaml']);
      expect(await text(iso, 'files-iso/noext')).toBe('no extension\n');
      const listing = await iso.list();
      expect(listing.every((n) => !n.includes(';'))).toBe(true);
    });
  });
});

describe('damaged, hostile and foreign files', () => {
  let good: string;
  beforeAll(() => {
    good = image('good.iso', (out) => run('xorriso', ['-as', 'mkisofs', '-R', '-J', '-V', 'cidata', '-o', out, src]));
  });

  async function failure(path: string): Promise<RuntimeError> {
    const error = await openIso(path).then(
      async (iso) => {
        await iso.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RuntimeError);
    return error as RuntimeError;
  }

  test('a file that is not an ISO fails with not-iso naming it', async () => {
    const path = join(work, 'notes.txt');
    writeFileSync(path, 'x'.repeat(100_000));
    const error = await failure(path);
    expect(error.code).toBe('not-iso');
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/not an ISO 9660 image/);
  });

  test('an empty file and a directory are not ISOs', async () => {
    const empty = join(work, 'empty.iso');
    writeFileSync(empty, '');
    expect((await failure(empty)).code).toBe('not-iso');
    expect((await failure(src)).code).toBe('not-iso');
  });

  test('a missing file fails with iso-unreadable', async () => {
    expect((await failure(join(work, 'nope.iso'))).code).toBe('iso-unreadable');
  });

  test('a truncated image fails at open with iso-corrupt', async () => {
    for (const keep of [40_000, 100_000]) {
      const path = join(work, `truncated-${keep}.iso`);
      writeFileSync(path, readFileSync(good).subarray(0, keep));
      const error = await failure(path);
      expect(error.code).toBe('iso-corrupt');
      expect(error.message).toMatch(/truncated/);
    }
  });

  test('a truncated image whose descriptor hides it fails when a file lies past the end', async () => {
    // Shrink the volume size in the descriptor too, as a careless cut would not.
    const bytes = Buffer.from(readFileSync(good));
    const cut = 36 * 2048;
    bytes.writeUInt32LE(cut / 2048, 32768 + 80);
    bytes.writeUInt32BE(cut / 2048, 32768 + 84);
    const path = join(work, 'lying.iso');
    writeFileSync(path, bytes.subarray(0, cut));
    await withIso(path, async (iso) => {
      await expect(iso.readFile(DEEP)).rejects.toMatchObject({ code: 'iso-corrupt' });
    });
  });

  test('a directory that points back to its parent is reported, not followed forever', async () => {
    const bytes = Buffer.from(readFileSync(image('loop.iso', (out) => run('genisoimage', ['-quiet', '-V', 'LOOP', '-o', out, src]))));
    const rootLba = bytes.readUInt32LE(32768 + 156 + 2);
    const at = rootLba * 2048;
    // Find FILES_IS in the root directory and point its extent at the root.
    const name = Buffer.from('FILES_IS');
    const found = bytes.indexOf(name, at);
    expect(found).toBeGreaterThan(at);
    const record = found - 33;
    bytes.writeUInt32LE(rootLba, record + 2);
    bytes.writeUInt32BE(rootLba, record + 6);
    const path = join(work, 'loop-patched.iso');
    writeFileSync(path, bytes);
    await withIso(path, async (iso) => {
      await expect(iso.readFile('files-iso/files-iso/config.yaml')).rejects.toMatchObject({ code: 'iso-corrupt', message: expect.stringMatching(/loops/) });
    });
  });

  test('an extent beyond the end of the file is reported as corrupt', async () => {
    const bytes = Buffer.from(readFileSync(image('range.iso', (out) => run('genisoimage', ['-quiet', '-V', 'RANGE', '-o', out, src]))));
    const rootLba = bytes.readUInt32LE(32768 + 156 + 2);
    const found = bytes.indexOf(Buffer.from('CONFIG.YAM;1'), rootLba * 2048);
    const record = found - 33;
    bytes.writeUInt32LE(0xfffffff0, record + 2);
    const path = join(work, 'range-patched.iso');
    writeFileSync(path, bytes);
    await withIso(path, async (iso) => {
      await expect(iso.readFile('config.yaml')).rejects.toMatchObject({ code: 'iso-corrupt', message: expect.stringMatching(/beyond the end/) });
      // Its siblings stay readable.
      expect(await text(iso, 'files-iso/config.yaml')).toBe(files['files-iso/config.yaml']);
    });
  });

  test('a Rock Ridge continuation area that continues into itself is reported', async () => {
    const bytes = Buffer.from(readFileSync(good));
    const root = bytes.readUInt32LE(32768 + 156 + 2) * 2048;
    // Walk the root directory's records to config.yaml's, then turn its PX entry into CE (28) + PD (padding) pointing back at itself.
    let patched = false;
    for (let i = root; bytes[i]! > 0 && !patched; i += bytes[i]!) {
      const nameLength = bytes[i + 32]!;
      if (bytes.toString('latin1', i + 33, i + 33 + nameLength) !== 'CONFIG.YAM;1') continue; // xorriso -as mkisofs: level 1 names
      const start = i + 33 + nameLength + (nameLength % 2 === 0 ? 1 : 0);
      for (let e = start; e < i + bytes[i]!; e += bytes[e + 2]!) {
        const pxLength = bytes[e + 2]!;
        if (bytes.toString('latin1', e, e + 2) !== 'PX' || pxLength < 32) continue;
        const area = { block: Math.floor(start / 2048), offset: start % 2048, length: i + bytes[i]! - start };
        bytes.write('CE', e, 'latin1');
        bytes[e + 2] = 28;
        bytes[e + 3] = 1;
        bytes.writeUInt32LE(area.block, e + 4);
        bytes.writeUInt32BE(area.block, e + 8);
        bytes.writeUInt32LE(area.offset, e + 12);
        bytes.writeUInt32BE(area.offset, e + 16);
        bytes.writeUInt32LE(area.length, e + 20);
        bytes.writeUInt32BE(area.length, e + 24);
        bytes.write('PD', e + 28, 'latin1');
        bytes[e + 30] = pxLength - 28;
        bytes[e + 31] = 1;
        patched = true;
        break;
      }
    }
    expect(patched).toBe(true);
    const path = join(work, 'ce-loop.iso');
    writeFileSync(path, bytes);
    await withIso(path, async (iso) => {
      await expect(iso.readFile('config.yaml')).rejects.toMatchObject({ code: 'iso-corrupt', message: expect.stringMatching(/continuation/) });
    });
  });

  test('a file over the read cap is refused, not loaded', async () => {
    const bigSrc = join(work, 'big');
    mkdirSync(bigSrc);
    writeFileSync(join(bigSrc, 'big.bin'), Buffer.alloc(MAX_READ_BYTES + 1));
    writeFileSync(join(bigSrc, 'small.txt'), 'small\n');
    const path = image('big.iso', (out) => run('xorriso', ['-as', 'mkisofs', '-R', '-o', out, bigSrc]));
    await withIso(path, async (iso) => {
      await expect(iso.readFile('big.bin')).rejects.toMatchObject({ code: 'iso-file-too-large' });
      expect(await text(iso, 'small.txt')).toBe('small\n');
    });
  });

  test('a file stored beyond 4 GiB of a (sparse) multi-GB image is read with positioned reads', async () => {
    const bytes = Buffer.from(readFileSync(image('far.iso', (out) => run('genisoimage', ['-quiet', '-V', 'FAR', '-o', out, src]))));
    const content = Buffer.from('stored past 4 GiB\n');
    const at = 4.5 * 1024 ** 3; // a multiple of 2048
    const root = bytes.readUInt32LE(32768 + 156 + 2) * 2048;
    const record = bytes.indexOf(Buffer.from('CONFIG.YAM;1'), root) - 33;
    bytes.writeUInt32LE(at / 2048, record + 2);
    bytes.writeUInt32BE(at / 2048, record + 6);
    bytes.writeUInt32LE(content.length, record + 10);
    bytes.writeUInt32BE(content.length, record + 14);
    const blocks = Math.ceil((at + content.length) / 2048);
    bytes.writeUInt32LE(blocks, 32768 + 80);
    bytes.writeUInt32BE(blocks, 32768 + 84);
    const path = join(work, 'far-patched.iso');
    writeFileSync(path, bytes);
    const fd = openSync(path, 'r+');
    try {
      writeSync(fd, content, 0, content.length, at);
    } finally {
      closeSync(fd);
    }
    truncateSync(path, blocks * 2048);
    await withIso(path, async (iso) => {
      expect(await text(iso, 'config.yaml')).toBe(content.toString());
      expect(await text(iso, 'files-iso/config.yaml')).toBe(files['files-iso/config.yaml']);
    });
  });

  test('an image with extra bytes after the volume (an appended partition) still reads', async () => {
    const path = join(work, 'padded.iso');
    writeFileSync(path, readFileSync(good));
    truncateSync(path, readFileSync(good).length + 5 * 1024 * 1024);
    await withIso(path, async (iso) => {
      expect(iso.volumeId).toBe('cidata');
      expect(await text(iso, 'config.yaml')).toBe(files['config.yaml']);
    });
  });
});
