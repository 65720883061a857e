/**
 * What the check pass over a sites file keeps per row, in typed arrays: where the row
 * starts, its line, and a hash table of its file name's key. About 40 bytes a row, where
 * an array of numbers, a Map entry, a key string and an object per row held 200 and more,
 * all of it promoted to V8's old generation (tens of MiB for 100,000 rows). Pure.
 */

/** A list of numbers that grows by doubling: one Float64Array rather than a JS array. */
export class NumberList {
  private values = new Float64Array(64);
  length = 0;

  push(value: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = value;
  }

  at(i: number): number {
    if (i < 0 || i >= this.length) throw new RangeError(`NumberList: ${i} is not below ${this.length}`);
    return this.values[i]!;
  }
}

/** FNV-1a over the UTF-16 code units: 32 bits, enough to make a true match the only likely one. */
export function keyHash(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return hash | 0;
}

/**
 * Rows by a key (a site's file name, lower-cased), holding only each key's hash and its
 * row: a row whose hash matches is asked for its key again (`keyOf`), so two keys that
 * merely share a hash are told apart, at the cost of re-reading that one row.
 */
export class RowsByKey {
  private hashes = new Int32Array(128);
  /** row + 1, 0 for an empty slot. */
  private rows = new Int32Array(128);
  private count = 0;

  /** The size of the table, for tests: it grows with the rows, never with their text. */
  get capacity(): number {
    return this.rows.length;
  }

  /** The earlier row whose key is `key`, or undefined after recording `row` under it. */
  findOrAdd(key: string, row: number, keyOf: (row: number) => string): number | undefined {
    const hash = keyHash(key);
    const mask = this.rows.length - 1;
    let slot = hash & mask;
    for (let other = this.rows[slot]!; other !== 0; slot = (slot + 1) & mask, other = this.rows[slot]!) {
      if (this.hashes[slot] === hash && keyOf(other - 1) === key) return other - 1;
    }
    this.hashes[slot] = hash;
    this.rows[slot] = row + 1;
    if (++this.count * 2 > this.rows.length) this.grow();
    return undefined;
  }

  private grow(): void {
    const { hashes, rows } = this;
    this.hashes = new Int32Array(rows.length * 2);
    this.rows = new Int32Array(rows.length * 2);
    const mask = this.rows.length - 1;
    for (let i = 0; i < rows.length; i++) {
      if (rows[i] === 0) continue;
      let slot = hashes[i]! & mask;
      while (this.rows[slot] !== 0) slot = (slot + 1) & mask;
      this.hashes[slot] = hashes[i]!;
      this.rows[slot] = rows[i]!;
    }
  }
}
