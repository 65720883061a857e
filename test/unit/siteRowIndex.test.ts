import { describe, expect, test } from 'vitest';
import { NumberList, RowsByKey, keyHash } from '../../src/core/sites/rowIndex.js';

describe('RowsByKey', () => {
  const keyed = (keys: string[]) => {
    const index = new RowsByKey();
    const asked: number[] = [];
    const found = keys.map((key, row) => index.findOrAdd(key, row, (other) => (asked.push(other), keys[other]!)));
    return { index, found, asked };
  };

  test('a key seen before gives the row it was first seen in', () => {
    expect(keyed(['a', 'b', 'a', 'c', 'b']).found).toEqual([undefined, undefined, 0, undefined, 1]);
  });

  test('two keys that share a hash are told apart by reading the earlier row again', () => {
    expect(keyHash('s6rnw')).toBe(keyHash('snpba'));
    const { found, asked } = keyed(['s6rnw', 'snpba', 'snpba']);
    expect(found).toEqual([undefined, undefined, 1]);
    expect(asked).toContain(0);
  });

  test('the table grows with the rows and loses none', () => {
    const keys = Array.from({ length: 5000 }, (_, i) => `site-${i}`);
    const { index, found } = keyed([...keys, ...keys]);
    expect(found.slice(0, 5000).every((f) => f === undefined)).toBe(true);
    expect(found.slice(5000)).toEqual(keys.map((_, i) => i));
    expect(index.capacity).toBeLessThanOrEqual(4 * 5000);
  });
});

describe('NumberList', () => {
  test('keeps what is pushed past its first size, and refuses an index past its end', () => {
    const list = new NumberList();
    for (let i = 0; i < 1000; i++) list.push(i * 1.5);
    expect(list.length).toBe(1000);
    expect(list.at(999)).toBe(1498.5);
    expect(() => list.at(1000)).toThrow(RangeError);
  });
});
