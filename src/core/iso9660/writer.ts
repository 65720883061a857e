/**
 * Builds a small ISO 9660 image in memory: files in the root directory only,
 * with Joliet and Rock Ridge names, laid out as `mkisofs -joliet -rock` lays
 * them out (level 1 names, RRIP 1.09 entries, 150 sectors of padding). It is
 * what the Palette docs make a site user-data ISO with, without the binary.
 * Pure: bytes in, bytes out; the caller passes the timestamp.
 */

export interface IsoFile {
  /** Root-level name as Rock Ridge and Joliet show it, e.g. 'user-data'. */
  name: string;
  data: Uint8Array;
}

export interface IsoSpec {
  volumeId: string;
  files: readonly IsoFile[];
  /** Recorded as creation/modification time (blkid derives the UUID from it). */
  date: Date;
  /** Sectors of zeros after the last file; mkisofs and xorriso default to 150. */
  padSectors?: number;
}

const SECTOR = 2048;
const DEFAULT_PAD = 150;
const FILE_MODE = 0o100444;
const DIR_MODE = 0o040555;
// RR entry flags (RRIP 1.09): which entries follow. Linux skips Rock Ridge for a
// record whose RR flags name none of PX/TF/SL/CL, so they must be right.
const RR_PX = 0x01;
const RR_NM = 0x08;
const RR_TF = 0x80;
const ER_ID = 'RRIP_1991A';
const ER_DESCRIPTION = 'THE ROCK RIDGE INTERCHANGE PROTOCOL PROVIDES SUPPORT FOR POSIX FILE SYSTEM SEMANTICS';
const ER_SOURCE = 'PLEASE CONTACT DISC PUBLISHER FOR SPECIFICATION SOURCE.  SEE PUBLISHER IDENTIFIER IN PRIMARY VOLUME DESCRIPTOR FOR CONTACT INFORMATION.';

// Every field is written in place into the image: a site run builds thousands of heads,
// and a buffer per field would be garbage for the collector to chase (and RSS).

/** ISO 9660 "both-byte orders" numbers; each put* returns the offset after what it wrote. */
function putBoth32(b: Buffer, at: number, value: number): number {
  b.writeUInt32LE(value, at);
  b.writeUInt32BE(value, at + 4);
  return at + 8;
}

function putBoth16(b: Buffer, at: number, value: number): number {
  b.writeUInt16LE(value, at);
  b.writeUInt16BE(value, at + 2);
  return at + 4;
}

/** A text field: latin1, cut to `length` bytes or padded with spaces. */
function putPadded(b: Buffer, at: number, text: string, length: number): void {
  const written = b.write(text, at, length, 'latin1');
  b.fill(0x20, at + written, at + length);
}

/** Joliet text fields: UCS-2 big-endian, cut or padded with (UCS-2) spaces. */
function putPaddedUcs2(b: Buffer, at: number, text: string, length: number): void {
  const units = Math.floor(length / 2); // 37-byte fields hold 18 UCS-2 characters
  putUcs2(b, at, text, units);
  for (let i = Math.min(text.length, units); i < units; i++) b.writeUInt16BE(0x20, at + 2 * i);
}

/** UTF-16 code units, big-endian (as Joliet stores names), at most `units` of them. */
function putUcs2(b: Buffer, at: number, text: string, units = text.length): number {
  const n = Math.min(text.length, units);
  for (let i = 0; i < n; i++) b.writeUInt16BE(text.charCodeAt(i), at + 2 * i);
  return at + 2 * n;
}

/** 7-byte directory record time, UTC. */
function putRecordDate(b: Buffer, at: number, date: Date): number {
  b[at] = date.getUTCFullYear() - 1900;
  b[at + 1] = date.getUTCMonth() + 1;
  b[at + 2] = date.getUTCDate();
  b[at + 3] = date.getUTCHours();
  b[at + 4] = date.getUTCMinutes();
  b[at + 5] = date.getUTCSeconds();
  b[at + 6] = 0;
  return at + 7;
}

/** 17-byte volume descriptor time, 'YYYYMMDDHHMMSScc' + GMT offset, UTC. */
function putVolumeDate(b: Buffer, at: number, date: Date | undefined): void {
  const iso = date?.toISOString(); // 2026-11-25T17:27:19.123Z
  const digits = iso ? iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10) + iso.slice(11, 13) + iso.slice(14, 16) + iso.slice(17, 19) + iso.slice(20, 22) : '0'.repeat(16);
  b.write(digits, at, 16, 'latin1');
  b[at + 16] = 0;
}

/** Level 1 names as mkisofs makes them: 8.3, upper-case d-characters, ';1'; unique. */
export function level1Names(names: readonly string[]): string[] {
  const taken = new Set<string>();
  return names.map((name) => {
    const upper = name.toUpperCase().replace(/[^A-Z0-9_.]/g, '_');
    const dot = upper.lastIndexOf('.');
    const base = (dot > 0 ? upper.slice(0, dot) : upper).replace(/\./g, '_').slice(0, 8) || '_';
    const ext = dot > 0 ? upper.slice(dot + 1, dot + 4) : '';
    let candidate = `${base}.${ext}`;
    for (let n = 1; taken.has(candidate); n++) {
      const suffix = String(n);
      candidate = `${base.slice(0, 8 - suffix.length)}${suffix}.${ext}`;
    }
    taken.add(candidate);
    return candidate;
  });
}

/** A System Use entry's four-byte header (RRIP 1.09 / SUSP); returns where its body starts. */
function putEntry(b: Buffer, at: number, signature: string, bodyLength: number): number {
  b.write(signature, at, 2, 'latin1');
  b[at + 2] = 4 + bodyLength;
  b[at + 3] = 1;
  return at + 4;
}

const SP_BYTES = 7;
const RR_BYTES = 5;
const PX_BYTES = 36;
const TF_BYTES = 26;
const CE_BYTES = 28;
const ER_BYTES = 8 + ER_ID.length + ER_DESCRIPTION.length + ER_SOURCE.length;

function putRr(b: Buffer, at: number, flags: number): number {
  b[putEntry(b, at, 'RR', 1)] = flags;
  return at + RR_BYTES;
}

function putPx(b: Buffer, at: number, mode: number, links: number): number {
  let p = putEntry(b, at, 'PX', 32);
  p = putBoth32(b, p, mode);
  p = putBoth32(b, p, links);
  p = putBoth32(b, p, 0);
  return putBoth32(b, p, 0);
}

/** Modify, access and attribute-change times. */
function putTf(b: Buffer, at: number, date: Date): number {
  let p = putEntry(b, at, 'TF', 22);
  b[p++] = 0x0e;
  for (let i = 0; i < 3; i++) p = putRecordDate(b, p, date);
  return p;
}

/** The root's "." and ".." System Use: SP and CE (to the ER) only in the first. */
function putDirSystemUse(b: Buffer, at: number, first: boolean, date: Date, continuation: number): number {
  let p = at;
  if (first) {
    p = putEntry(b, p, 'SP', 3);
    b[p++] = 0xbe;
    b[p++] = 0xef;
    b[p++] = 0;
  }
  p = putRr(b, p, RR_PX | RR_TF);
  p = putPx(b, p, DIR_MODE, 2);
  p = putTf(b, p, date);
  if (first) {
    p = putEntry(b, p, 'CE', 24);
    p = putBoth32(b, p, continuation);
    p = putBoth32(b, p, 0);
    p = putBoth32(b, p, ER_BYTES);
  }
  return p;
}

function putEr(b: Buffer, at: number): void {
  let p = putEntry(b, at, 'ER', ER_BYTES - 4);
  b[p++] = ER_ID.length;
  b[p++] = ER_DESCRIPTION.length;
  b[p++] = ER_SOURCE.length;
  b[p++] = 1;
  b.write(ER_ID + ER_DESCRIPTION + ER_SOURCE, p, 'latin1');
}

/**
 * A directory record's fixed fields at `at`, if the record fits before `end`; returns the
 * offset after the record. Its identifier goes at `at + 33`, its System Use at
 * systemUseAt(at, idBytes).
 */
function putRecord(b: Buffer, at: number, end: number, extent: number, size: number, dir: boolean, idBytes: number, systemUseBytes: number, date: Date, name = ''): number {
  let length = systemUseAt(0, idBytes) + systemUseBytes;
  if (length % 2 === 1) length += 1; // records have even lengths
  if (length > 255) throw new Error(`directory record too long (${length} bytes) for ${name}`);
  if (at + length > end) throw new Error('a directory of this image must fit one sector');
  b[at] = length;
  putBoth32(b, at + 2, extent);
  putBoth32(b, at + 10, size);
  putRecordDate(b, at + 18, date);
  b[at + 25] = dir ? 0x02 : 0;
  putBoth16(b, at + 28, 1);
  b[at + 32] = idBytes;
  return at + length;
}

/** Where a record's System Use starts: after its identifier and the pad byte that makes the identifier's end even. */
function systemUseAt(at: number, idBytes: number): number {
  return at + 33 + idBytes + (idBytes % 2 === 0 ? 1 : 0);
}

/** "." (0x00) or ".." (0x01) of a root directory; Rock Ridge gives the primary tree's a System Use, SP and CE in the first. */
function putDotRecord(b: Buffer, at: number, end: number, root: number, which: 0 | 1, systemUse: 'none' | 'first' | 'rest', date: Date, continuation: number): number {
  const bytes = systemUse === 'first' ? DIR_FIRST_SU_BYTES : systemUse === 'rest' ? DIR_SU_BYTES : 0;
  const next = putRecord(b, at, end, root, SECTOR, true, 1, bytes, date);
  b[at + 33] = which;
  if (systemUse !== 'none') checkEnd(putDirSystemUse(b, systemUseAt(at, 1), systemUse === 'first', date, continuation), systemUseAt(at, 1) + bytes);
  return next;
}

function checkEnd(got: number, want: number): void {
  if (got !== want) throw new Error('internal: a System Use area of the wrong length');
}

const DIR_FIRST_SU_BYTES = SP_BYTES + RR_BYTES + PX_BYTES + TF_BYTES + CE_BYTES;
const DIR_SU_BYTES = RR_BYTES + PX_BYTES + TF_BYTES;

/** Indexes of `keys` in the order of their keys (an insertion sort: an image holds a handful of files). */
function orderOf(keys: readonly string[]): number[] {
  const order: number[] = [];
  for (let i = 0; i < keys.length; i++) {
    let j = order.length;
    while (j > 0 && keys[order[j - 1]!]! > keys[i]!) j--;
    order.splice(j, 0, i);
  }
  return order;
}

function putPathTable(b: Buffer, at: number, rootExtent: number, bigEndian: boolean): void {
  b[at] = 1;
  if (bigEndian) {
    b.writeUInt32BE(rootExtent, at + 2);
    b.writeUInt16BE(1, at + 6);
  } else {
    b.writeUInt32LE(rootExtent, at + 2);
    b.writeUInt16LE(1, at + 6);
  }
}

interface Layout {
  volumeBlocks: number;
  pathTables: { primaryL: number; primaryM: number; jolietL: number; jolietM: number };
  primaryRoot: number;
  jolietRoot: number;
  continuation: number;
}

/** Volume descriptor fields left blank: publisher, preparer and application ids, and the copyright, abstract and bibliographic file ids. */
const BLANK_FIELDS = [[190, 128], [318, 128], [446, 128], [702, 37], [739, 37], [776, 37]] as const;

function putVolumeDescriptor(d: Buffer, at: number, spec: IsoSpec, layout: Layout, joliet: boolean): void {
  d[at] = joliet ? 2 : 1;
  d.write('CD001', at + 1, 'latin1');
  d[at + 6] = 1;
  const text = joliet ? putPaddedUcs2 : putPadded;
  text(d, at + 8, 'LINUX', 32);
  text(d, at + 40, spec.volumeId, 32);
  putBoth32(d, at + 80, layout.volumeBlocks);
  if (joliet) d.write('%/E', at + 88, 'latin1'); // UCS-2 level 3
  putBoth16(d, at + 120, 1);
  putBoth16(d, at + 124, 1);
  putBoth16(d, at + 128, SECTOR);
  putBoth32(d, at + 132, 10);
  d.writeUInt32LE(joliet ? layout.pathTables.jolietL : layout.pathTables.primaryL, at + 140);
  d.writeUInt32BE(joliet ? layout.pathTables.jolietM : layout.pathTables.primaryM, at + 148);
  const root = joliet ? layout.jolietRoot : layout.primaryRoot;
  putDotRecord(d, at + 156, at + 190, root, 0, 'none', spec.date, layout.continuation);
  for (const [field, length] of BLANK_FIELDS) text(d, at + field, '', length);
  text(d, at + 574, 'EDGEBUILD', 128);
  putVolumeDate(d, at + 813, spec.date);
  putVolumeDate(d, at + 830, spec.date);
  putVolumeDate(d, at + 847, undefined);
  putVolumeDate(d, at + 864, spec.date);
  d[at + 881] = 1;
}

/**
 * The image as the bytes up to the end of the last file, plus its full size:
 * everything after `head` is zeros (the padding), which a writer can leave as
 * a hole in a sparse file instead of writing 300 KiB of zeros per site.
 */
export interface IsoParts {
  head: Buffer;
  size: number;
}

export function buildIso(spec: IsoSpec): Buffer {
  const { head, size } = buildIsoParts(spec);
  return Buffer.concat([head, Buffer.alloc(size - head.length)]);
}

/**
 * With `scratch`, the head is built in it when it is large enough (and is a view of it,
 * valid until the next call with the same scratch): thousands of site ISOs need no
 * buffer of their own each.
 */
export function buildIsoParts(spec: IsoSpec, scratch?: Buffer): IsoParts {
  const files = spec.files;
  if (new Set(files.map((f) => f.name)).size !== files.length) throw new Error('duplicate file names');
  for (const f of files) {
    if (!/^[^/\0]{1,64}$/.test(f.name) || f.name === '.' || f.name === '..') throw new Error(`invalid file name ${JSON.stringify(f.name)}`);
  }
  const isoNames = level1Names(files.map((f) => f.name));
  // Fixed layout: 16 system sectors, PVD, SVD, terminator, four path tables,
  // two root directories, the Rock Ridge ER continuation, then the files.
  const layout: Layout = {
    volumeBlocks: 0,
    pathTables: { primaryL: 19, primaryM: 20, jolietL: 21, jolietM: 22 },
    primaryRoot: 23,
    jolietRoot: 24,
    continuation: 25,
  };
  let next = 26;
  const extents = files.map((f) => {
    const at = next;
    next += Math.ceil(f.data.length / SECTOR);
    return at;
  });
  layout.volumeBlocks = next + (spec.padSectors ?? DEFAULT_PAD);

  const image = scratch && scratch.length >= next * SECTOR ? scratch.subarray(0, next * SECTOR).fill(0) : Buffer.alloc(next * SECTOR);
  const { date } = spec;
  putVolumeDescriptor(image, 16 * SECTOR, spec, layout, false);
  putVolumeDescriptor(image, 17 * SECTOR, spec, layout, true);
  image[18 * SECTOR] = 255; // the terminator
  image.write('CD001', 18 * SECTOR + 1, 'latin1');
  image[18 * SECTOR + 6] = 1;
  putPathTable(image, layout.pathTables.primaryL * SECTOR, layout.primaryRoot, false);
  putPathTable(image, layout.pathTables.primaryM * SECTOR, layout.primaryRoot, true);
  putPathTable(image, layout.pathTables.jolietL * SECTOR, layout.jolietRoot, false);
  putPathTable(image, layout.pathTables.jolietM * SECTOR, layout.jolietRoot, true);

  // Directory records are sorted by their identifiers (ECMA-119 9.3): d-characters and
  // UTF-16 code units, which sort as strings as they do as bytes (big-endian for Joliet).
  let at = layout.primaryRoot * SECTOR;
  let end = at + SECTOR;
  at = putDotRecord(image, at, end, layout.primaryRoot, 0, 'first', date, layout.continuation);
  at = putDotRecord(image, at, end, layout.primaryRoot, 1, 'rest', date, layout.continuation);
  const ids = isoNames.map((n) => `${n};1`);
  for (const i of orderOf(ids)) {
    const f = files[i]!;
    const id = ids[i]!;
    const nameBytes = Buffer.byteLength(f.name, 'utf8');
    const suBytes = RR_BYTES + 5 + nameBytes + PX_BYTES + TF_BYTES;
    const next = putRecord(image, at, end, extents[i]!, f.data.length, false, id.length, suBytes, date, id);
    image.write(id, at + 33, 'latin1');
    let p = putRr(image, systemUseAt(at, id.length), RR_PX | RR_TF | RR_NM);
    p = putEntry(image, p, 'NM', 1 + nameBytes);
    image[p++] = 0;
    p += image.write(f.name, p, 'utf8');
    p = putPx(image, p, FILE_MODE, 1);
    checkEnd(putTf(image, p, date), systemUseAt(at, id.length) + suBytes);
    at = next;
  }
  at = layout.jolietRoot * SECTOR;
  end = at + SECTOR;
  at = putDotRecord(image, at, end, layout.jolietRoot, 0, 'none', date, layout.continuation);
  at = putDotRecord(image, at, end, layout.jolietRoot, 1, 'none', date, layout.continuation);
  for (const i of orderOf(files.map((f) => f.name))) {
    const f = files[i]!;
    const next = putRecord(image, at, end, extents[i]!, f.data.length, false, 2 * f.name.length, 0, date, f.name);
    putUcs2(image, at + 33, f.name);
    at = next;
  }
  putEr(image, layout.continuation * SECTOR);
  files.forEach((f, i) => image.set(f.data, extents[i]! * SECTOR));
  return { head: image, size: layout.volumeBlocks * SECTOR };
}
