/**
 * Whether one file of an ISO 9660 image can be replaced where it lies (the
 * new bytes over the old extent, zeros to the end of its allocation, the new
 * length in every directory record of it), and the patch that does it. Pure:
 * it reads the image only through the `read` it is given and returns data.
 *
 * Every tree a reader may use is walked: the primary tree (with Rock Ridge
 * names), Joliet, an ISO 9660:1999 enhanced tree, and the copies of them that
 * GRUB's hybrid layout (`partition_offset=16`) keeps for the ISO partition.
 * Anything the patch could not keep exactly (a shared extent, zisofs, a boot
 * image, a partition, an HFS+ hybrid, libisofs MD5 tags) makes the file
 * ineligible, with the reason: the caller then copies through xorriso.
 */

export const SECTOR = 2048;
const SYSTEM_AREA_SECTORS = 16;
const MAX_DESCRIPTORS = 64;
const MAX_DIR_BYTES = 32 * 1024 * 1024;
const MAX_DIRECTORIES = 100_000;
const MAX_CE_HOPS = 32;
/** Sectors searched for libisofs's superblock and tree MD5 tags, which it writes before the file data. */
const MAX_TAG_SCAN = 8192;
const FLAG_DIR = 0x02;
const FLAG_MULTI_EXTENT = 0x80;
/** The sectors libisofs writes its MD5 tags into begin with one of these (xorriso `-md5 on`). */
const MD5_REASON = 'the image carries libisofs MD5 checksums (xorriso -md5 on), which a patch would make fail -check_md5';
const MD5_TAGS = ['libisofs_sb_checksum_tag_v1', 'libisofs_tree_checksum_tag_v1', 'libisofs_checksum_tag_v1', 'libisofs_rlsb32_checksum_tag_v1'];

/** `length` bytes at byte `offset` of the image; throws when they are not there. */
export type ReadAt = (offset: number, length: number) => Promise<Uint8Array>;

export type TreeKind = 'primary' | 'joliet' | 'enhanced';

/** One directory record of the file, in one tree. */
export interface RecordRef {
  tree: string;
  /** Byte offset of the record in the image; its size fields are at +10 (LE) and +14 (BE). */
  offset: number;
}

export interface InPlacePatch {
  /** Byte offset of the file's data in the image. */
  dataOffset: number;
  oldSize: number;
  newSize: number;
  /** Bytes allocated to the file (whole sectors): the new data and zeros fill exactly this. */
  allocated: number;
  records: RecordRef[];
  /** The trees patched, e.g. ['primary (Rock Ridge)', 'joliet', 'primary at partition 1']. */
  trees: string[];
}

/** `md5`: the image carries libisofs MD5 checksums, which the xorriso write must record again (`-md5 on`). */
export type InPlacePlan = { method: 'in-place'; patch: InPlacePatch } | { method: 'xorriso'; reason: string; md5?: true };

/** A positional write of the patch. */
export interface PatchWrite {
  offset: number;
  bytes: Uint8Array;
}

interface Record {
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

interface Tree {
  label: string;
  kind: TreeKind;
  /** Sector of the image that the tree's block numbers count from (16 for GRUB's ISO partition copy). */
  base: number;
  root: Record;
  rockRidge: boolean;
  suspSkip: number;
}

interface Partition {
  label: string;
  /** In 512-byte blocks. */
  start: number;
  blocks: number;
}

const u32 = (b: Uint8Array, at: number): number => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 0x1000000;
const u16 = (b: Uint8Array, at: number): number => b[at]! | (b[at + 1]! << 8);
const latin1 = (b: Uint8Array, from: number, to: number): string => String.fromCharCode(...b.subarray(from, to));
const u64 = (b: Uint8Array, at: number): number => u32(b, at) + u32(b, at + 4) * 0x100000000;

function ucs2be(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i + 1 < b.length; i += 2) s += String.fromCharCode((b[i]! << 8) | b[i + 1]!);
  return s;
}

function cleanName(name: string): string {
  let n = name.replace(/;\d*$/, '');
  if (n.endsWith('.') && n !== '.' && n !== '..') n = n.slice(0, -1);
  return n;
}

function utf8(b: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(b);
}

function parseRecord(data: Uint8Array, at: number, absolute: number, kind: TreeKind): Record {
  const length = data[at]!;
  const rec = data.subarray(at, at + length);
  const nameLength = rec[32]!;
  const raw = rec.subarray(33, 33 + nameLength);
  const name = cleanName(kind === 'joliet' ? ucs2be(raw) : latin1(raw, 0, raw.length));
  const systemStart = 33 + nameLength + (nameLength % 2 === 0 ? 1 : 0);
  return { offset: absolute, lba: u32(rec, 2) + rec[1]!, size: u32(rec, 10), flags: rec[25]!, interleaved: rec[26] !== 0 || rec[27] !== 0, xar: rec[1]!, name, system: rec.subarray(Math.min(systemStart, rec.length)) };
}

/** SUSP entries of a System Use area: signature and body. */
function* suspEntries(area: Uint8Array): Generator<{ sig: string; e: Uint8Array }> {
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
async function systemUse(read: ReadAt, rec: Record, tree: Tree): Promise<Uint8Array[]> {
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
async function directory(read: ReadAt, tree: Tree, dir: Record): Promise<Record[]> {
  if (dir.size > MAX_DIR_BYTES) throw new Error(`a directory of the ${tree.label} tree claims ${dir.size} bytes`);
  const start = (tree.base + dir.lba) * SECTOR;
  const data = await read(start, dir.size);
  const out: Record[] = [];
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
function nameMatches(tree: Tree, rec: Record, wanted: string): boolean {
  if (rec.rrName !== undefined) return rec.rrName === wanted;
  if (tree.kind === 'joliet') return rec.name === wanted;
  const d = wanted.toUpperCase().replace(/[^A-Z0-9_.]/g, '_');
  const dot = d.lastIndexOf('.');
  const base = (dot > 0 ? d.slice(0, dot) : d).replace(/\./g, '_');
  const ext = dot > 0 ? d.slice(dot + 1) : '';
  const name = rec.name.toUpperCase();
  return name === wanted.toUpperCase() || name === d || name === (ext ? `${base.slice(0, 8)}.${ext.slice(0, 3)}` : base.slice(0, 8));
}

interface Walked {
  /** Every file record of the tree with its path. */
  files: { path: string; rec: Record }[];
  /** Byte ranges of the tree's directories. */
  dirs: [number, number][];
}

async function walk(read: ReadAt, tree: Tree, target: string[]): Promise<Walked & { target: Record[] }> {
  const files: Walked['files'] = [];
  const dirs: [number, number][] = [];
  const found: Record[] = [];
  const seen = new Set<number>();
  const queue: { rec: Record; path: string[]; onTarget: boolean }[] = [{ rec: tree.root, path: [], onTarget: true }];
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

function parsePartitions(system: Uint8Array, gpt: Uint8Array | undefined): Partition[] {
  const parts: Partition[] = [];
  if (system[510] === 0x55 && system[511] === 0xaa) {
    for (let n = 0; n < 4; n++) {
      const e = 446 + n * 16;
      const type = system[e + 4]!;
      const blocks = u32(system, e + 12);
      if (type !== 0 && type !== 0xee && blocks > 0) parts.push({ label: `MBR partition ${n + 1}`, start: u32(system, e + 8), blocks });
    }
  }
  if (gpt) {
    const entrySize = 128;
    for (let n = 0; n * entrySize + entrySize <= gpt.length; n++) {
      const e = gpt.subarray(n * entrySize, (n + 1) * entrySize);
      if (e.subarray(0, 16).every((b) => b === 0)) continue;
      const first = u64(e, 32);
      const last = u64(e, 40);
      parts.push({ label: `GPT partition ${n + 1}`, start: first, blocks: last - first + 1 });
    }
  }
  return parts;
}

async function readGptEntries(read: ReadAt, system: Uint8Array, imageSize: number): Promise<Uint8Array | undefined> {
  if (latin1(system, 512, 520) !== 'EFI PART') return undefined;
  const entriesLba = u64(system, 512 + 72);
  const count = Math.min(u32(system, 512 + 80), 1024);
  const size = u32(system, 512 + 84);
  if (size !== 128 || entriesLba * 512 + count * size > imageSize) return undefined;
  return read(entriesLba * 512, count * size);
}

interface Descriptors {
  /** Sectors of volume descriptors (their set ends at the terminator). */
  sectors: number[];
  trees: { kind: TreeKind; root: Uint8Array }[];
  /** Byte ranges (relative to the set's base) of the path tables. */
  pathTables: [number, number][];
  volumeBlocks: number | undefined;
  bootCatalog: number | undefined;
}

async function readDescriptors(read: ReadAt, first: number, imageSize: number): Promise<Descriptors | undefined> {
  const d: Descriptors = { sectors: [], trees: [], pathTables: [], volumeBlocks: undefined, bootCatalog: undefined };
  for (let i = 0; i < MAX_DESCRIPTORS && (first + i + 1) * SECTOR <= imageSize; i++) {
    const s = await read((first + i) * SECTOR, SECTOR);
    if (latin1(s, 1, 6) !== 'CD001') break;
    d.sectors.push(first + i);
    const type = s[0];
    if (type === 255) break;
    if (type === 0 && latin1(s, 7, 30) === 'EL TORITO SPECIFICATION') d.bootCatalog = u32(s, 71);
    if (type === 1 || type === 2) {
      const size = u32(s, 132);
      const be = (at: number): number => s[at]! * 0x1000000 + ((s[at + 1]! << 16) | (s[at + 2]! << 8) | s[at + 3]!);
      for (const lba of [u32(s, 140), u32(s, 144), be(148), be(152)]) if (lba > 0 && size > 0) d.pathTables.push([lba * SECTOR, lba * SECTOR + size]);
    }
    if (type === 1 && d.volumeBlocks === undefined) {
      d.volumeBlocks = u32(s, 80);
      d.trees.push({ kind: 'primary', root: s.slice(156, 190) });
    }
    if (type === 2) {
      const joliet = s[88] === 0x25 && s[89] === 0x2f && [0x40, 0x43, 0x45].includes(s[90]!);
      if (joliet) d.trees.push({ kind: 'joliet', root: s.slice(156, 190) });
      else if (s[6] === 2) d.trees.push({ kind: 'enhanced', root: s.slice(156, 190) });
    }
  }
  return d.volumeBlocks === undefined ? undefined : d;
}

/** SUSP SP in the root's "." record: Rock Ridge is in use when an ER/RR/PX entry follows. */
async function rockRidgeOf(read: ReadAt, base: number, root: Record): Promise<{ rockRidge: boolean; suspSkip: number; rootSystem: Uint8Array }> {
  const data = await read((base + root.lba) * SECTOR, Math.min(root.size, SECTOR));
  const dot = parseRecord(data, 0, 0, 'primary');
  const sp = [...suspEntries(dot.system)];
  const spEntry = sp.find((x) => x.sig === 'SP' && x.e.length >= 7 && x.e[4] === 0xbe && x.e[5] === 0xef);
  return { rockRidge: Boolean(spEntry) && sp.some((x) => ['ER', 'RR', 'PX'].includes(x.sig)), suspSkip: spEntry?.e[6] ?? 0, rootSystem: dot.system };
}

/** AAIP `AL` entries naming `isofs.ca` (libisofs's MD5 array; namespace byte 4 is "isofs."). */
function hasChecksumArray(area: Uint8Array): boolean {
  for (const { sig, e } of suspEntries(area)) {
    if (sig !== 'AL') continue;
    for (let i = 5; i + 4 <= e.length; i++) if (e[i] === 3 && e[i + 1] === 4 && e[i + 2] === 0x63 && e[i + 3] === 0x61) return true;
  }
  return false;
}

const overlaps = (a: [number, number], b: [number, number]): boolean => a[0] < b[1] && b[0] < a[1];

/** Catalog entries: [start sector, load size in bytes]. */
function bootImages(catalog: Uint8Array): [number, number][] {
  const images: [number, number][] = [];
  const entry = (at: number): void => {
    if (catalog[at] === 0x88 || catalog[at] === 0x00) {
      const lba = u32(catalog, at + 8);
      if (lba > 0) images.push([lba, Math.max(u16(catalog, at + 6) * 512, SECTOR)]);
    }
  };
  entry(32);
  for (let at = 64; at + 32 <= catalog.length; ) {
    const header = catalog[at];
    if (header !== 0x90 && header !== 0x91) break;
    const count = u16(catalog, at + 2);
    at += 32;
    for (let n = 0; n < count && at + 32 <= catalog.length; n++, at += 32) entry(at);
    if (header === 0x91) break;
  }
  return images;
}

export interface PlanQuery {
  /** Inside the image, without a leading slash: 'files-iso/config.yaml'. */
  path: string;
  newSize: number;
  imageSize: number;
}

/**
 * Plans the in-place replacement of `query.path` by `query.newSize` bytes,
 * or says why it cannot be done in place. Errors of `read` (a truncated
 * image) are reasons too: the xorriso path reports them in its own words.
 */
export async function planInPlace(read: ReadAt, query: PlanQuery): Promise<InPlacePlan> {
  try {
    return await plan(read, query);
  } catch (error) {
    return { method: 'xorriso', reason: `its trees could not be read for an in-place write (${(error as Error).message})` };
  }
}

async function plan(read: ReadAt, query: PlanQuery): Promise<InPlacePlan> {
  const no = (reason: string): { method: 'xorriso'; reason: string } => ({ method: 'xorriso', reason });
  const shown = query.path;
  const system = await read(0, SYSTEM_AREA_SECTORS * SECTOR);
  if (latin1(system, 0, 2) === 'ER' && (latin1(system, 512, 514) === 'PM' || latin1(system, 2048, 2050) === 'PM')) {
    return no('the image has an Apple partition map (an HFS+ hybrid keeps its own record of each file)');
  }
  const partitions = parsePartitions(system, await readGptEntries(read, system, query.imageSize));
  const main = await readDescriptors(read, SYSTEM_AREA_SECTORS, query.imageSize);
  if (!main) return no('no primary volume descriptor');
  // GRUB's hybrid layout (partition_offset): a partition that begins inside the system area holds its own descriptors and trees.
  const sets: { base: number; label: string; d: Descriptors }[] = [{ base: 0, label: '', d: main }];
  for (const p of partitions) {
    if (p.start === 0 || p.start % 4 !== 0 || p.start * 512 > SYSTEM_AREA_SECTORS * SECTOR) continue;
    const base = p.start / 4;
    const d = await readDescriptors(read, base + SYSTEM_AREA_SECTORS, query.imageSize);
    if (d) sets.push({ base, label: ` in ${p.label}`, d });
  }
  const volumeEnd = main.volumeBlocks! * SECTOR;
  const reserved: { what: string; range: [number, number] }[] = [{ what: 'the system area', range: [0, SYSTEM_AREA_SECTORS * SECTOR] }];
  const trees: Tree[] = [];
  let checksums = false;
  for (const set of sets) {
    for (const s of set.d.sectors) reserved.push({ what: 'a volume descriptor', range: [s * SECTOR, (s + 1) * SECTOR] });
    for (const [from, to] of set.d.pathTables) reserved.push({ what: 'a path table', range: [set.base * SECTOR + from, set.base * SECTOR + to] });
    for (const t of set.d.trees) {
      const root = parseRecord(t.root, 0, 0, t.kind);
      const rr = t.kind === 'primary' ? await rockRidgeOf(read, set.base, root) : { rockRidge: false, suspSkip: 0, rootSystem: new Uint8Array() };
      if (t.kind === 'primary' && hasChecksumArray(rr.rootSystem)) checksums = true;
      trees.push({ label: `${t.kind}${rr.rockRidge ? ' (Rock Ridge)' : ''}${set.label}`, kind: t.kind, base: set.base, root, rockRidge: rr.rockRidge, suspSkip: rr.suspSkip });
    }
  }
  if (checksums) return { method: 'xorriso', reason: MD5_REASON, md5: true };
  const target = shown.split('/').filter(Boolean);
  const walked = [];
  for (const tree of trees) walked.push({ tree, ...(await walk(read, tree, target)) });
  // The MD5 tags sit in sectors of their own after the descriptors, after the trees and at the session's end.
  const firstData = Math.min(...walked.flatMap((w) => w.files.filter((f) => f.rec.size > 0).map((f) => (w.tree.base + f.rec.lba) * SECTOR)));
  const metadataEnd = Math.min(Math.max(...walked.flatMap((w) => w.dirs.map((d) => d[1]))), firstData, MAX_TAG_SCAN * SECTOR);
  for (let s = SYSTEM_AREA_SECTORS; s * SECTOR < metadataEnd + SECTOR && (s + 1) * SECTOR <= query.imageSize; s++) {
    const head = await read(s * SECTOR, 32);
    const text = latin1(head, 0, 32);
    if (MD5_TAGS.some((tag) => text.startsWith(tag))) return { method: 'xorriso', reason: MD5_REASON, md5: true };
  }
  const first = walked[0]!;
  if (first.target.length !== 1) return no(first.target.length ? `${shown} is recorded more than once in the ${first.tree.label} tree` : `${shown} is not in the ${first.tree.label} tree`);
  const file = first.target[0]!;
  const dataOffset = (first.tree.base + file.lba) * SECTOR;
  if (file.flags & FLAG_MULTI_EXTENT) return no(`${shown} is stored in more than one extent`);
  if (file.interleaved) return no(`${shown} is stored interleaved`);
  if (file.xar) return no(`${shown} has an extended attribute record`);
  if (file.size === 0) return no(`${shown} is empty in the image (no allocation to write into)`);
  const allocated = Math.ceil(file.size / SECTOR) * SECTOR;
  if (query.newSize > allocated) return no(`the new user-data (${query.newSize} bytes) does not fit the ${allocated} bytes allocated to ${shown}`);
  const range: [number, number] = [dataOffset, dataOffset + allocated];
  if (range[1] > volumeEnd || range[1] > query.imageSize) return no(`${shown} lies beyond the end of the volume`);
  const records: RecordRef[] = [];
  const patched: string[] = [];
  for (const w of walked) {
    const mine = w.target.filter((r) => (w.tree.base + r.lba) * SECTOR === dataOffset && r.size === file.size && !(r.flags & FLAG_MULTI_EXTENT) && !r.interleaved && !r.xar);
    for (const { path, rec } of w.files) {
      const at = (w.tree.base + rec.lba) * SECTOR;
      if (mine.includes(rec) || rec.size === 0) continue;
      if (overlaps(range, [at, at + Math.ceil(rec.size / SECTOR) * SECTOR])) return no(`/${path} in the ${w.tree.label} tree shares the bytes of ${shown}`);
    }
    for (const r of mine) {
      const zisofs = (await systemUse(read, r, w.tree)).some((area) => [...suspEntries(area)].some((x) => x.sig === 'ZF'));
      if (zisofs && w.tree.rockRidge) return no(`${shown} is zisofs-compressed (Rock Ridge ZF)`);
      // genisoimage's ISO 9660:1999 tree shares the primary tree's directories: one record, one patch.
      if (!records.some((x) => x.offset === r.offset)) records.push({ tree: w.tree.label, offset: r.offset });
    }
    if (mine.length) patched.push(w.tree.label);
    for (const d of w.dirs) reserved.push({ what: `a directory of the ${w.tree.label} tree`, range: d });
  }
  if (main.bootCatalog !== undefined) {
    reserved.push({ what: 'the El Torito boot catalog', range: [main.bootCatalog * SECTOR, (main.bootCatalog + 1) * SECTOR] });
    for (const [lba, bytes] of bootImages(await read(main.bootCatalog * SECTOR, SECTOR))) reserved.push({ what: 'an El Torito boot image', range: [lba * SECTOR, lba * SECTOR + bytes] });
  }
  for (const p of partitions) {
    // The partition holding the ISO 9660 file system itself (isohybrid's at 0, GRUB's at 32 KiB): its trees were walked above.
    if (p.start * 512 <= SYSTEM_AREA_SECTORS * SECTOR) continue;
    reserved.push({ what: p.label, range: [p.start * 512, (p.start + p.blocks) * 512] });
  }
  const hit = reserved.find((r) => overlaps(range, r.range));
  if (hit) return no(`${shown} overlaps ${hit.what}`);
  return { method: 'in-place', patch: { dataOffset, oldSize: file.size, newSize: query.newSize, allocated, records, trees: patched } };
}

function both32(value: number): Uint8Array {
  const b = new Uint8Array(8);
  for (let i = 0; i < 4; i++) {
    b[i] = (value >>> (8 * i)) & 0xff;
    b[7 - i] = (value >>> (8 * i)) & 0xff;
  }
  return b;
}

/** The positional writes of a patch: the data padded with zeros to its allocation, then each record's size fields. */
export function patchWrites(patch: InPlacePatch, data: Uint8Array): PatchWrite[] {
  if (data.length !== patch.newSize || data.length > patch.allocated) throw new Error(`patch for ${patch.newSize} bytes given ${data.length}`);
  const block = new Uint8Array(patch.allocated);
  block.set(data);
  return [{ offset: patch.dataOffset, bytes: block }, ...patch.records.map((r) => ({ offset: r.offset + 10, bytes: both32(patch.newSize) }))];
}
