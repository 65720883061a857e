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

/** ISO 9660 "both-byte orders" numbers. */
function both32(value: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(value, 0);
  b.writeUInt32BE(value, 4);
  return b;
}

function both16(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16LE(value, 0);
  b.writeUInt16BE(value, 2);
  return b;
}

function padded(text: string, length: number): Buffer {
  return Buffer.from(text.padEnd(length, ' ').slice(0, length), 'latin1');
}

function ucs2be(text: string): Buffer {
  const b = Buffer.from(text, 'utf16le');
  b.swap16();
  return b;
}

/** Joliet text fields: UCS-2 big-endian, padded with (UCS-2) spaces. */
function paddedUcs2(text: string, length: number): Buffer {
  return ucs2be(text.padEnd(length / 2, ' ').slice(0, length / 2));
}

/** 7-byte directory record time, UTC. */
function recordDate(date: Date): Buffer {
  return Buffer.from([date.getUTCFullYear() - 1900, date.getUTCMonth() + 1, date.getUTCDate(), date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds(), 0]);
}

/** 17-byte volume descriptor time, 'YYYYMMDDHHMMSScc' + GMT offset, UTC. */
function volumeDate(date: Date | undefined): Buffer {
  if (!date) return Buffer.concat([Buffer.from('0'.repeat(16), 'latin1'), Buffer.from([0])]);
  const iso = date.toISOString(); // 2026-11-25T17:27:19.123Z
  const digits = iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10) + iso.slice(11, 13) + iso.slice(14, 16) + iso.slice(17, 19) + iso.slice(20, 22);
  return Buffer.concat([Buffer.from(digits, 'latin1'), Buffer.from([0])]);
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

function entry(signature: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(signature, 'latin1'), Buffer.from([4 + body.length, 1]), body]);
}

function px(mode: number, links: number): Buffer {
  return entry('PX', Buffer.concat([both32(mode), both32(links), both32(0), both32(0)]));
}

function tf(date: Date): Buffer {
  const t = recordDate(date);
  return entry('TF', Buffer.concat([Buffer.from([0x0e]), t, t, t])); // modify, access, attributes
}

interface Record {
  extent: number;
  size: number;
  dir: boolean;
  /** Raw identifier bytes (0x00 for ".", 0x01 for ".."). */
  id: Buffer;
  systemUse?: Buffer;
}

function directoryRecord(r: Record, date: Date): Buffer {
  const idPad = r.id.length % 2 === 0 ? 1 : 0;
  const su = r.systemUse ?? Buffer.alloc(0);
  let length = 33 + r.id.length + idPad + su.length;
  if (length % 2 === 1) length += 1; // records have even lengths
  if (length > 255) throw new Error(`directory record too long (${length} bytes) for ${r.id.toString('latin1')}`);
  const b = Buffer.alloc(length);
  b[0] = length;
  both32(r.extent).copy(b, 2);
  both32(r.size).copy(b, 10);
  recordDate(date).copy(b, 18);
  b[25] = r.dir ? 0x02 : 0;
  both16(1).copy(b, 28);
  b[32] = r.id.length;
  r.id.copy(b, 33);
  su.copy(b, 33 + r.id.length + idPad);
  return b;
}

function pathTable(rootExtent: number, bigEndian: boolean): Buffer {
  const b = Buffer.alloc(10);
  b[0] = 1;
  if (bigEndian) {
    b.writeUInt32BE(rootExtent, 2);
    b.writeUInt16BE(1, 6);
  } else {
    b.writeUInt32LE(rootExtent, 2);
    b.writeUInt16LE(1, 6);
  }
  return b;
}

interface Layout {
  volumeBlocks: number;
  pathTables: { primaryL: number; primaryM: number; jolietL: number; jolietM: number };
  primaryRoot: number;
  jolietRoot: number;
  continuation: number;
}

function volumeDescriptor(spec: IsoSpec, layout: Layout, joliet: boolean): Buffer {
  const d = Buffer.alloc(SECTOR);
  d[0] = joliet ? 2 : 1;
  d.write('CD001', 1, 'latin1');
  d[6] = 1;
  const text = joliet ? paddedUcs2 : padded;
  text('LINUX', 32).copy(d, 8);
  text(spec.volumeId, 32).copy(d, 40);
  both32(layout.volumeBlocks).copy(d, 80);
  if (joliet) d.write('%/E', 88, 'latin1'); // UCS-2 level 3
  both16(1).copy(d, 120);
  both16(1).copy(d, 124);
  both16(SECTOR).copy(d, 128);
  both32(10).copy(d, 132);
  d.writeUInt32LE(joliet ? layout.pathTables.jolietL : layout.pathTables.primaryL, 140);
  d.writeUInt32BE(joliet ? layout.pathTables.jolietM : layout.pathTables.primaryM, 148);
  const root = joliet ? layout.jolietRoot : layout.primaryRoot;
  directoryRecord({ extent: root, size: SECTOR, dir: true, id: Buffer.from([0]) }, spec.date).copy(d, 156);
  for (const [at, length] of [[190, 128], [318, 128], [446, 128], [702, 37], [739, 37], [776, 37]] as const) text('', length).copy(d, at);
  text('EDGEBUILD', 128).copy(d, 574);
  volumeDate(spec.date).copy(d, 813);
  volumeDate(spec.date).copy(d, 830);
  volumeDate(undefined).copy(d, 847);
  volumeDate(spec.date).copy(d, 864);
  d[881] = 1;
  return d;
}

function sector(content: Buffer): Buffer {
  if (content.length > SECTOR) throw new Error('a directory of this image must fit one sector');
  return Buffer.concat([content, Buffer.alloc(SECTOR - content.length)]);
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
  const files = [...spec.files];
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

  const er = entry('ER', Buffer.concat([Buffer.from([ER_ID.length, ER_DESCRIPTION.length, ER_SOURCE.length, 1]), Buffer.from(ER_ID + ER_DESCRIPTION + ER_SOURCE, 'latin1')]));
  const ce = entry('CE', Buffer.concat([both32(layout.continuation), both32(0), both32(er.length)]));
  const rr = (flags: number): Buffer => entry('RR', Buffer.from([flags]));
  const sp = entry('SP', Buffer.from([0xbe, 0xef, 0]));
  const dirSu = (first: boolean): Buffer => Buffer.concat(first ? [sp, rr(RR_PX | RR_TF), px(DIR_MODE, 2), tf(spec.date), ce] : [rr(RR_PX | RR_TF), px(DIR_MODE, 2), tf(spec.date)]);

  // Directory records are sorted by their identifiers (ECMA-119 9.3).
  const primaryOrder = files.map((f, i) => ({ f, i, id: Buffer.from(`${isoNames[i]};1`, 'latin1') })).sort((a, b) => Buffer.compare(a.id, b.id));
  const primary = [
    directoryRecord({ extent: layout.primaryRoot, size: SECTOR, dir: true, id: Buffer.from([0]), systemUse: dirSu(true) }, spec.date),
    directoryRecord({ extent: layout.primaryRoot, size: SECTOR, dir: true, id: Buffer.from([1]), systemUse: dirSu(false) }, spec.date),
    ...primaryOrder.map(({ f, i, id }) => {
      const nm = entry('NM', Buffer.concat([Buffer.from([0]), Buffer.from(f.name, 'utf8')]));
      const su = Buffer.concat([rr(RR_PX | RR_TF | RR_NM), nm, px(FILE_MODE, 1), tf(spec.date)]);
      return directoryRecord({ extent: extents[i]!, size: f.data.length, dir: false, id, systemUse: su }, spec.date);
    }),
  ];
  const jolietOrder = files.map((f, i) => ({ f, i, id: ucs2be(f.name) })).sort((a, b) => Buffer.compare(a.id, b.id));
  const joliet = [
    directoryRecord({ extent: layout.jolietRoot, size: SECTOR, dir: true, id: Buffer.from([0]) }, spec.date),
    directoryRecord({ extent: layout.jolietRoot, size: SECTOR, dir: true, id: Buffer.from([1]) }, spec.date),
    ...jolietOrder.map(({ f, i, id }) => directoryRecord({ extent: extents[i]!, size: f.data.length, dir: false, id }, spec.date)),
  ];

  const terminator = Buffer.alloc(SECTOR);
  terminator[0] = 255;
  terminator.write('CD001', 1, 'latin1');
  terminator[6] = 1;

  const image = scratch && scratch.length >= next * SECTOR ? scratch.subarray(0, next * SECTOR).fill(0) : Buffer.alloc(next * SECTOR);
  volumeDescriptor(spec, layout, false).copy(image, 16 * SECTOR);
  volumeDescriptor(spec, layout, true).copy(image, 17 * SECTOR);
  terminator.copy(image, 18 * SECTOR);
  pathTable(layout.primaryRoot, false).copy(image, layout.pathTables.primaryL * SECTOR);
  pathTable(layout.primaryRoot, true).copy(image, layout.pathTables.primaryM * SECTOR);
  pathTable(layout.jolietRoot, false).copy(image, layout.pathTables.jolietL * SECTOR);
  pathTable(layout.jolietRoot, true).copy(image, layout.pathTables.jolietM * SECTOR);
  sector(Buffer.concat(primary)).copy(image, layout.primaryRoot * SECTOR);
  sector(Buffer.concat(joliet)).copy(image, layout.jolietRoot * SECTOR);
  er.copy(image, layout.continuation * SECTOR);
  files.forEach((f, i) => Buffer.from(f.data.buffer, f.data.byteOffset, f.data.length).copy(image, extents[i]! * SECTOR));
  return { head: image, size: layout.volumeBlocks * SECTOR };
}
