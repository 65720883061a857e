/**
 * The results of written sites, for the `--json` output, held in about 100 bytes a site
 * rather than an object and two strings each: 50,000 sites stay a few MiB. Pure.
 */
export interface SiteResult {
  name: string;
  row: number;
  line: number;
  file: string;
  size: number;
  sha256: string;
}

const HASH_BYTES = 32;

/** SiteResults as a thread posts them: arrays and bytes, which a structured clone keeps. */
export interface SiteResultsMessage {
  names: string[];
  files: string[];
  numbers: Float64Array<ArrayBuffer>;
  hashes: Uint8Array<ArrayBuffer>;
}

export class SiteResults implements Iterable<SiteResult> {
  private names: string[] = [];
  private files: string[] = [];
  /** row, line and size of each site. */
  private numbers: Float64Array;
  private hashes: Buffer;

  /** `expected`: how many results are to come (room grows past it if more do). */
  constructor(expected = 64) {
    const room = Math.max(1, expected);
    this.numbers = new Float64Array(3 * room);
    this.hashes = Buffer.alloc(HASH_BYTES * room);
  }

  get length(): number {
    return this.names.length;
  }

  push(site: SiteResult): void {
    const i = this.names.length;
    if ((i + 1) * HASH_BYTES > this.hashes.length) {
      const numbers = new Float64Array(Math.max(2 * this.numbers.length, 3 * 64));
      numbers.set(this.numbers);
      this.numbers = numbers;
      const hashes = Buffer.alloc(Math.max(2 * this.hashes.length, HASH_BYTES * 64));
      this.hashes.copy(hashes);
      this.hashes = hashes;
    }
    if (this.hashes.write(site.sha256, i * HASH_BYTES, 'hex') !== HASH_BYTES) throw new Error(`internal: ${site.sha256} is not a sha256`);
    this.numbers[3 * i] = site.row;
    this.numbers[3 * i + 1] = site.line;
    this.numbers[3 * i + 2] = site.size;
    this.names.push(site.name);
    this.files.push(site.file);
  }

  toMessage(): SiteResultsMessage {
    const n = this.length;
    return { names: this.names, files: this.files, numbers: this.numbers.slice(0, 3 * n), hashes: new Uint8Array(this.hashes.subarray(0, HASH_BYTES * n)) };
  }

  static fromMessage(m: SiteResultsMessage): SiteResults {
    const n = m.names.length;
    if (m.files.length !== n || m.numbers.length !== 3 * n || m.hashes.length !== HASH_BYTES * n) throw new Error('internal: site results of mismatched lengths');
    const results = new SiteResults(0);
    results.names = m.names;
    results.files = m.files;
    results.numbers = m.numbers;
    results.hashes = Buffer.from(m.hashes.buffer, m.hashes.byteOffset, m.hashes.length);
    return results;
  }

  at(i: number): SiteResult {
    const [row, line, size] = this.numbers.subarray(3 * i, 3 * i + 3);
    return { name: this.names[i]!, row: row!, line: line!, file: this.files[i]!, size: size!, sha256: this.hashes.toString('hex', i * HASH_BYTES, (i + 1) * HASH_BYTES) };
  }

  /** The first `count` results. */
  first(count: number): SiteResult[] {
    return Array.from({ length: Math.min(count, this.length) }, (_, i) => this.at(i));
  }

  /** JSON.stringify of a result that holds these: the list of results. */
  toJSON(): SiteResult[] {
    return [...this];
  }

  *[Symbol.iterator](): Iterator<SiteResult> {
    for (let i = 0; i < this.names.length; i++) yield this.at(i);
  }
}
