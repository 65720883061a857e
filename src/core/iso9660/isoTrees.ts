/**
 * Reading the directory trees of an ISO 9660 image for core/iso9660/inPlace.ts:
 * directory records, SUSP/Rock Ridge entries (names, CE continuations) and a
 * walk of one tree listing every file record with its path. Pure: the image
 * is read only through the `ReadAt` given.
 */

export const SECTOR = 2048;
const MAX_DIR_BYTES = 32 * 1024 * 1024;
const MAX_DIRECTORIES = 100_000;
const MAX_CE_HOPS = 32;
export const FLAG_DIR = 0x02;
export const FLAG_MULTI_EXTENT = 0x80;

/** `length` bytes at byte `offset` of the image; throws when they are not there. */
export type ReadAt = (offset: number, length: number) => Promise<Uint8Array>;

export type TreeKind = 'primary' | 'joliet' | 'enhanced';

export interface DirRecord {
  offset: number;
  lba: number;
  size: number;
  flags: number;
  /** File unit size or interleave gap set: the data is not one run of sectors. */
  interleaved: boolean;
  /** Sectors of extended attribute record before the data. */
  xar: number;
  /** The raw name, decoded per tree (UCS-2 for Joliet), ';1' and a trailing '.' removed. */
  name: string;
  /** The Rock Ridge name, when the record carries an NM entry in its own System Use area. */
  rrName?: string;
  system: Uint8Array;
}

export interface Tree {
  label: string;
  kind: TreeKind;
  /** Sector of the image that the tree's block numbers count from (16 for GRUB's ISO partition copy). */
  base: number;
  root: DirRecord;
  rockRidge: boolean;
  suspSkip: number;
}

export const u32 = (b: Uint8Array, at: number): number => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 0x1000000;
export const u16 = (b: Uint8Array, at: number): number => b[at]! | (b[at + 1]! << 8);
export const latin1 = (b: Uint8Array, from: number, to: number): string => String.fromCharCode(...b.subarray(from, to));
export const u64 = (b: Uint8Array, at: number): number => u32(b, at) + u32(b, at + 4) * 0x100000000;

/** A Joliet name: UCS-2 big-endian (an odd last byte is dropped). */
export function ucs2be(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i + 1 < b.length; i += 2) s += String.fromCharCode((b[i]! << 8) | b[i + 1]!);
  return s;
}

/** ';1' version suffix and the '.' mkisofs puts after extension-less names go. */
export function cleanIsoName(name: string): string {
  let n = name.replace(/;\d*$/, '');
  if (n.endsWith('.') && n !== '.' && n !== '..') n = n.slice(0, -1);
  return n;
}

function utf8(b: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(b);
}

export function parseRecord(data: Uint8Array, at: number, absolute: number, kind: TreeKind): DirRecord {
  const length = data[at]!;
  const rec = data.subarray(at, at + length);
  const nameLength = rec[32]!;
  const raw = rec.subarray(33, 33 + nameLength);
  const name = cleanIsoName(kind === 'joliet' ? ucs2be(raw) : latin1(raw, 0, raw.length));
  const systemStart = 33 + nameLength + (nameLength % 2 === 0 ? 1 : 0);
  return { offset: absolute, lba: u32(rec, 2) + rec[1]!, size: u32(rec, 10), flags: rec[25]!, interleaved: rec[26] !== 0 || rec[27] !== 0, xar: rec[1]!, name, system: rec.subarray(Math.min(systemStart, rec.length)) };
}

/** SUSP entries of a System Use area: signature and body. */
export function* suspEntries(area: Uint8Array): Generator<{ sig: string; e: Uint8Array }> {
  let i = 0;
  while (i + 4 <= area.length) {
    const len = area[i + 2]!;
    if (len < 4 || i + len > area.length) return;
    const sig = latin1(area, i, i + 2);
    if (sig === 'ST') return;
    yield { sig, e: area.subarray(i, i + len) };
    i += len;
  }
}

/** The System Use area of a record with its CE continuations. */
export async function systemUse(read: ReadAt, rec: DirRecord, tree: Tree): Promise<Uint8Array[]> {
  const areas = [rec.system.subarray(Math.min(tree.suspSkip, rec.system.length))];
  for (let hops = 0; hops < MAX_CE_HOPS; hops++) {
    const ce = [...suspEntries(areas[areas.length - 1]!)].find((x) => x.sig === 'CE' && x.e.length >= 28);
    if (!ce) break;
    const length = u32(ce.e, 20);
    if (length === 0 || length > 64 * 1024) break;
    areas.push(await read((tree.base + u32(ce.e, 4)) * SECTOR + u32(ce.e, 12), length));
  }
  return areas;
}

function rockRidgeName(area: Uint8Array): string | undefined {
  const parts: Uint8Array[] = [];
  for (const { sig, e } of suspEntries(area)) if (sig === 'NM' && e.length >= 5 && !(e[4]! & 0x06)) parts.push(e.subarray(5));
  if (!parts.length) return undefined;
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return utf8(all);
}

/** The records of one directory extent, "." and ".." left out. */
async function directory(read: ReadAt, tree: Tree, dir: DirRecord): Promise<DirRecord[]> {
  if (dir.size > MAX_DIR_BYTES) throw new Error(`a directory of the ${tree.label} tree claims ${dir.size} bytes`);
  const start = (tree.base + dir.lba) * SECTOR;
  const data = await read(start, dir.size);
  const out: DirRecord[] = [];
  let i = 0;
  while (i < data.length) {
    const length = data[i]!;
    if (length === 0) {
      i = (Math.floor(i / SECTOR) + 1) * SECTOR;
      continue;
    }
    if (length < 34 || i + length > data.length || 33 + data[i + 32]! > length) throw new Error(`a directory record at byte ${start + i} is malformed`);
    const dotOrParent = data[i + 32] === 1 && (data[i + 33] === 0 || data[i + 33] === 1);
    const rec = parseRecord(data, i, start + i, tree.kind);
    i += length;
    if (dotOrParent) continue;
    if (tree.rockRidge) rec.rrName = rockRidgeName(rec.system.subarray(Math.min(tree.suspSkip, rec.system.length)));
    out.push(rec);
  }
  return out;
}

/** A name of `rec` as `tree` shows it matches `wanted` (Rock Ridge exactly; Joliet exactly; plain ISO 9660 names case-insensitively, mkisofs's mapping). */
function nameMatches(tree: Tree, rec: DirRecord, wanted: string): boolean {
  if (rec.rrName !== undefined) return rec.rrName === wanted;
  if (tree.kind === 'joliet') return rec.name === wanted;
  const name = rec.name.toUpperCase();
  return name === wanted.toUpperCase() || isoCandidates(wanted).includes(name);
}

/**
 * The plain ISO 9660 names mkisofs makes of a name: d-characters in upper
 * case (level 2+), then the same cut to 8.3 (level 1). A last resort for
 * images without Rock Ridge and Joliet.
 */
export function isoCandidates(name: string): string[] {
  const d = name.toUpperCase().replace(/[^A-Z0-9_.]/g, '_');
  const dot = d.lastIndexOf('.');
  const base = (dot > 0 ? d.slice(0, dot) : d).replace(/\./g, '_');
  const ext = dot > 0 ? d.slice(dot + 1) : '';
  return [d, ext ? `${base.slice(0, 8)}.${ext.slice(0, 3)}` : base.slice(0, 8)];
}

export interface Walked {
  /** Every file record of the tree with its path. */
  files: { path: string; rec: DirRecord }[];
  /** Byte ranges of the tree's directories. */
  dirs: [number, number][];
}

export async function walk(read: ReadAt, tree: Tree, target: string[]): Promise<Walked & { target: DirRecord[] }> {
  const files: Walked['files'] = [];
  const dirs: [number, number][] = [];
  const found: DirRecord[] = [];
  const seen = new Set<number>();
  const queue: { rec: DirRecord; path: string[]; onTarget: boolean }[] = [{ rec: tree.root, path: [], onTarget: true }];
  while (queue.length) {
    const { rec, path, onTarget } = queue.shift()!;
    const at = (tree.base + rec.lba) * SECTOR;
    if (seen.has(at)) continue;
    if (seen.size >= MAX_DIRECTORIES) throw new Error(`the ${tree.label} tree has more than ${MAX_DIRECTORIES} directories`);
    seen.add(at);
    dirs.push([at, at + rec.size]);
    for (const child of await directory(read, tree, rec)) {
      const name = child.rrName ?? child.name;
      const matches = onTarget && path.length < target.length && nameMatches(tree, child, target[path.length]!);
      if (child.flags & FLAG_DIR) queue.push({ rec: child, path: [...path, name], onTarget: matches });
      else {
        files.push({ path: [...path, name].join('/'), rec: child });
        if (matches && path.length === target.length - 1) found.push(child);
      }
    }
  }
  return { files, dirs, target: found };
}

/** SUSP SP in the root's "." record: Rock Ridge is in use when an ER/RR/PX entry follows. */
export async function rockRidgeOf(read: ReadAt, base: number, root: DirRecord): Promise<{ rockRidge: boolean; suspSkip: number; rootSystem: Uint8Array }> {
  const data = await read((base + root.lba) * SECTOR, Math.min(root.size, SECTOR));
  const dot = parseRecord(data, 0, 0, 'primary');
  const sp = [...suspEntries(dot.system)];
  const spEntry = sp.find((x) => x.sig === 'SP' && x.e.length >= 7 && x.e[4] === 0xbe && x.e[5] === 0xef);
  return { rockRidge: Boolean(spEntry) && sp.some((x) => ['ER', 'RR', 'PX'].includes(x.sig)), suspSkip: spEntry?.e[6] ?? 0, rootSystem: dot.system };
}

/** AAIP `AL` entries naming `isofs.ca` (libisofs's MD5 array; namespace byte 4 is "isofs."). */
export function hasChecksumArray(area: Uint8Array): boolean {
  for (const { sig, e } of suspEntries(area)) {
    if (sig !== 'AL') continue;
    for (let i = 5; i + 4 <= e.length; i++) if (e[i] === 3 && e[i + 1] === 4 && e[i + 2] === 0x63 && e[i + 3] === 0x61) return true;
  }
  return false;
}
