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

import { FLAG_MULTI_EXTENT, SECTOR, hasChecksumArray, latin1, parseRecord, rockRidgeOf, suspEntries, systemUse, walk, type ReadAt, type Tree } from './isoTrees.js';
import { SYSTEM_AREA_SECTORS, bootImages, parsePartitions, readDescriptors, readGptEntries, type Descriptors } from './systemArea.js';

export type { ReadAt } from './isoTrees.js';

/** Sectors searched for libisofs's superblock and tree MD5 tags, which it writes before the file data. */
const MAX_TAG_SCAN = 8192;
const MD5_REASON = 'the image carries libisofs MD5 checksums (xorriso -md5 on), which a patch would make fail -check_md5';
/** The sectors libisofs writes its MD5 tags into begin with one of these (xorriso `-md5 on`). */
const MD5_TAGS = ['libisofs_sb_checksum_tag_v1', 'libisofs_tree_checksum_tag_v1', 'libisofs_checksum_tag_v1', 'libisofs_rlsb32_checksum_tag_v1'];

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

const overlaps = (a: [number, number], b: [number, number]): boolean => a[0] < b[1] && b[0] < a[1];

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
