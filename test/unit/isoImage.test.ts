import { describe, expect, test } from 'vitest';
import { buildIso, buildIsoParts, level1Names } from '../../src/core/iso9660/writer.js';

const DATE = new Date('2026-01-01T00:00:00Z');

describe('level1Names', () => {
  test.each([
    [['user-data', 'meta-data'], ['USER_DAT.', 'META_DAT.']],
    [['config.yaml'], ['CONFIG.YAM']],
    [['a.b.c'], ['A_B.C']],
    [['user-data1', 'user-data2', 'user-data3'], ['USER_DAT.', 'USER_DA1.', 'USER_DA2.']],
    [['.hidden'], ['_HIDDEN.']],
  ])('%j → %j', (names, expected) => expect(level1Names(names)).toEqual(expected));
});

describe('buildIso', () => {
  test('the volume is the files plus 150 sectors of padding, and the parts add up to the whole', () => {
    const spec = { volumeId: 'cidata', files: [{ name: 'user-data', data: Buffer.alloc(3000, 1) }], date: DATE };
    const whole = buildIso(spec);
    const parts = buildIsoParts(spec);
    expect(whole.length).toBe((26 + 2 + 150) * 2048);
    expect(parts.size).toBe(whole.length);
    expect(whole.subarray(0, parts.head.length).equals(parts.head)).toBe(true);
    expect(whole.subarray(parts.head.length).every((b) => b === 0)).toBe(true);
    expect(whole.readUInt32LE(32768 + 80)).toBe(whole.length / 2048);
  });

  test.each([
    [[{ name: 'a', data: Buffer.alloc(0) }, { name: 'a', data: Buffer.alloc(0) }], /duplicate/],
    [[{ name: 'a/b', data: Buffer.alloc(0) }], /invalid file name/],
    [[{ name: '', data: Buffer.alloc(0) }], /invalid file name/],
    [[{ name: 'x'.repeat(65), data: Buffer.alloc(0) }], /invalid file name/],
  ])('refuses %j', (files, message) => {
    expect(() => buildIso({ volumeId: 'cidata', files, date: DATE })).toThrow(message);
  });
});

describe('buildIsoParts with a scratch buffer', () => {
  const spec = (text: string) => ({ volumeId: 'cidata', files: [{ name: 'user-data', data: Buffer.from(text) }, { name: 'meta-data', data: Buffer.alloc(0) }], date: new Date(1767225600000) });

  test('builds the same head in it, whatever an earlier image left there', () => {
    const scratch = Buffer.alloc(128 * 1024);
    buildIsoParts(spec(`#cloud-config\n${'x'.repeat(20000)}\n`), scratch);
    const small = spec('#cloud-config\na: 1\n');
    const parts = buildIsoParts(small, scratch);
    expect(parts.head.buffer).toBe(scratch.buffer);
    expect(Buffer.compare(parts.head, buildIsoParts(small).head)).toBe(0);
    expect(parts.size).toBe(buildIsoParts(small).size);
  });

  test('one too small is not used', () => {
    const scratch = Buffer.alloc(4096);
    const parts = buildIsoParts(spec('#cloud-config\n'), scratch);
    expect(parts.head.buffer).not.toBe(scratch.buffer);
    expect(Buffer.compare(parts.head, buildIsoParts(spec('#cloud-config\n')).head)).toBe(0);
  });
});
