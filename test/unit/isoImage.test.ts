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
