/**
 * The system area and volume descriptors of an ISO 9660 image, for
 * core/iso9660/inPlace.ts: MBR and GPT partitions, the descriptor sets (the
 * image's own and the copy in GRUB's ISO partition), path tables, the El
 * Torito boot catalog. Pure: read only through the `ReadAt` given.
 */
import { SECTOR, u16, u32, u64, latin1, type ReadAt, type TreeKind } from './isoTrees.js';

export const SYSTEM_AREA_SECTORS = 16;
const MAX_DESCRIPTORS = 64;

export interface Partition {
  label: string;
  /** In 512-byte blocks. */
  start: number;
  blocks: number;
}

export function parsePartitions(system: Uint8Array, gpt: Uint8Array | undefined): Partition[] {
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

export async function readGptEntries(read: ReadAt, system: Uint8Array, imageSize: number): Promise<Uint8Array | undefined> {
  if (latin1(system, 512, 520) !== 'EFI PART') return undefined;
  const entriesLba = u64(system, 512 + 72);
  const count = Math.min(u32(system, 512 + 80), 1024);
  const size = u32(system, 512 + 84);
  if (size !== 128 || entriesLba * 512 + count * size > imageSize) return undefined;
  return read(entriesLba * 512, count * size);
}

export interface Descriptors {
  /** Sectors of volume descriptors (their set ends at the terminator). */
  sectors: number[];
  trees: { kind: TreeKind; root: Uint8Array }[];
  /** Byte ranges (relative to the set's base) of the path tables. */
  pathTables: [number, number][];
  volumeBlocks: number | undefined;
  bootCatalog: number | undefined;
}

export async function readDescriptors(read: ReadAt, first: number, imageSize: number): Promise<Descriptors | undefined> {
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

/** Catalog entries: [start sector, load size in bytes]. */
export function bootImages(catalog: Uint8Array): [number, number][] {
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
