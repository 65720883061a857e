/**
 * Reads files out of an ISO 9660 image without mounting it, without root and
 * without external binaries: positioned reads on one file handle, so a
 * multi-GB installer ISO costs a few kilobytes of memory.
 *
 * Names: Rock Ridge (NM) first, then Joliet, then plain ISO 9660 names.
 * Every number read from the image is checked before it is used, because the
 * image may be truncated, corrupt or hostile.
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { RuntimeError } from '../errors.js';
import { FLAG_DIR, FLAG_MULTI_EXTENT, SECTOR, cleanIsoName, isoCandidates, ucs2be } from '../core/iso9660/isoTrees.js';
import { SYSTEM_AREA_SECTORS } from '../core/iso9660/systemArea.js';

export interface IsoImage {
  volumeId: string;
  /** The image has a Joliet tree (a rewrite must keep it). */
  readonly joliet: boolean;
  /** Paths like 'files-iso/config.yaml'. Prefers Rock Ridge names, then Joliet, then plain ISO 9660 names (case-insensitive, ';1' and trailing '.' stripped). */
  readFile(path: string): Promise<Buffer | undefined>;
  /** `path` read through each tree the image has (Rock Ridge names, Joliet, plain ISO 9660 names), each on its own. */
  readFileEachTree(path: string): Promise<{ tree: 'rockridge' | 'joliet' | 'iso9660'; data: Buffer | undefined }[]>;
  /** Names in `dir` (default: the root), sorted; directories end with '/'. Throws when `dir` is not a directory. */
  list(dir?: string): Promise<string[]>;
  close(): Promise<void>;
}

/** readFile is for config files: anything bigger is refused rather than loaded. */
export const MAX_READ_BYTES = 16 * 1024 * 1024;
/** Directories of real images are kilobytes; a larger one is a corrupt length. */
const MAX_DIR_BYTES = 32 * 1024 * 1024;
const MAX_DESCRIPTORS = 64;
const MAX_DEPTH = 256;
/** SUSP continuation areas followed per directory record, and their total bytes. */
const MAX_CE_HOPS = 32;
const MAX_SUSP_BYTES = 64 * 1024;
const MAX_NAME_BYTES = 4096;

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const RRIP_IDS = new Set(['RRIP_1991A', 'IEEE_P1282', 'IEEE_1282']);

interface Extent {
  /** Byte offset of the data in the image file. */
  offset: number;
  size: number;
}

interface Entry {
  name: string;
  dir: boolean;
  symlink: boolean;
  /** Interleaved (file unit size set): listed, but not read. */
  interleaved?: boolean;
  extents: Extent[];
}

interface View {
  kind: 'rockridge' | 'joliet' | 'iso9660';
  root: Extent;
}

function corrupt(file: string, what: string): RuntimeError {
  return new RuntimeError(`${file}: ISO 9660 image is corrupt or truncated: ${what}`, {
    code: 'iso-corrupt',
    fix: 'rebuild or download the image again and compare its sha256',
  });
}

/** ISO 9660 stores most numbers twice (little- then big-endian); we read the LE half. */
function u32(buf: Buffer, at: number): number {
  return buf.readUInt32LE(at);
}

function u16(buf: Buffer, at: number): number {
  return buf.readUInt16LE(at);
}

class Reader {
  constructor(
    private readonly handle: FileHandle,
    readonly file: string,
    readonly size: number,
  ) {}

  /** Exactly `length` bytes at `position`, or a corrupt-image error. */
  async read(position: number, length: number, what: string): Promise<Buffer> {
    if (!Number.isSafeInteger(position) || position < 0 || length < 0 || position + length > this.size) {
      throw corrupt(this.file, `${what} lies at bytes ${position}..${position + length}, beyond the end of the ${this.size}-byte file`);
    }
    const buf = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(buf, done, length - done, position + done);
      if (bytesRead === 0) throw corrupt(this.file, `${what} ends early (the file shrank while being read)`);
      done += bytesRead;
    }
    return buf;
  }
}

interface Descriptors {
  volumeId: string;
  blockSize: number;
  primaryRoot: Buffer;
  jolietRoot: Buffer | undefined;
}

async function readDescriptors(reader: Reader): Promise<Descriptors> {
  const notIso = (why: string): RuntimeError =>
    new RuntimeError(`${reader.file} is not an ISO 9660 image (${why})`, {
      code: 'not-iso',
      fix: 'pass the .iso file the build produced (an ISO 9660 image)',
    });
  if (reader.size < (SYSTEM_AREA_SECTORS + 1) * SECTOR) throw notIso(`it has only ${reader.size} bytes`);
  let primary: Buffer | undefined;
  let joliet: Buffer | undefined;
  let sawUdf = false;
  for (let i = 0; i < MAX_DESCRIPTORS; i++) {
    const position = (SYSTEM_AREA_SECTORS + i) * SECTOR;
    if (position + SECTOR > reader.size) break;
    const d = await reader.read(position, SECTOR, 'volume descriptor');
    const id = d.toString('latin1', 1, 6);
    if (id !== 'CD001') {
      if (['BEA01', 'NSR02', 'NSR03', 'TEA01'].includes(id)) sawUdf = true;
      break;
    }
    const type = d[0];
    if (type === 255) break;
    if (type === 1 && !primary) primary = d;
    if (type === 2 && !joliet && d[88] === 0x25 && d[89] === 0x2f && [0x40, 0x43, 0x45].includes(d[90]!)) joliet = d;
  }
  if (!primary) throw notIso(sawUdf ? 'UDF only, no ISO 9660 primary volume descriptor' : 'no "CD001" primary volume descriptor at byte 32768');
  const blockSize = u16(primary, 128);
  if (![512, 1024, 2048].includes(blockSize)) throw corrupt(reader.file, `logical block size ${blockSize}`);
  const volumeBlocks = u32(primary, 80);
  if (volumeBlocks * blockSize > reader.size) {
    throw corrupt(reader.file, `the volume is ${volumeBlocks * blockSize} bytes but the file has only ${reader.size}`);
  }
  return {
    volumeId: primary.toString('latin1', 40, 72).replace(/[\0 ]+$/, ''),
    blockSize,
    primaryRoot: primary.subarray(156, 190),
    jolietRoot: joliet?.subarray(156, 190),
  };
}

interface SuspInfo {
  name?: string;
  dir?: boolean;
  symlink?: boolean;
  childLink?: number;
  relocated?: boolean;
  /** SP found: the image uses SUSP; its LEN_SKP. */
  sp?: number;
  rrip?: boolean;
}

class Iso implements IsoImage {
  private views: View[] = [];
  private suspSkip = 0;

  get joliet(): boolean {
    return this.views.some((v) => v.kind === 'joliet');
  }

  constructor(
    private readonly reader: Reader,
    private readonly handle: FileHandle,
    readonly volumeId: string,
    private readonly blockSize: number,
  ) {}

  async init(d: Descriptors): Promise<void> {
    const primary = this.rootExtent(d.primaryRoot, 'primary root directory');
    // Rock Ridge is announced by an SP entry in the root's "." record.
    const rootDir = await this.reader.read(primary.offset, Math.min(primary.size, this.blockSize), 'root directory');
    const dotLength = rootDir[0] ?? 0;
    let rockRidge = false;
    if (dotLength >= 34 && dotLength <= rootDir.length) {
      const info = await this.susp(rootDir.subarray(0, dotLength), true);
      if (info.sp !== undefined) {
        this.suspSkip = info.sp;
        rockRidge = info.rrip === true;
      }
    }
    if (rockRidge) this.views.push({ kind: 'rockridge', root: primary });
    if (d.jolietRoot) this.views.push({ kind: 'joliet', root: this.rootExtent(d.jolietRoot, 'Joliet root directory') });
    this.views.push({ kind: 'iso9660', root: primary });
  }

  private rootExtent(record: Buffer, what: string): Extent {
    if (record[0]! < 34 || !(record[25]! & FLAG_DIR)) throw corrupt(this.reader.file, `${what} record is malformed`);
    return this.extent(record, what);
  }

  /** Where a record's data lies; `what` set checks it now, else reading it checks it later. */
  private extent(record: Buffer, what?: string): Extent {
    const offset = (u32(record, 2) + record[1]!) * this.blockSize;
    const size = u32(record, 10);
    if (what !== undefined && offset + size > this.reader.size) {
      throw corrupt(this.reader.file, `${what} lies at bytes ${offset}..${offset + size}, beyond the end of the ${this.reader.size}-byte file`);
    }
    return { offset, size };
  }

  /** Parses the System Use area of one directory record, following CE continuations. */
  private async susp(record: Buffer, isRootDot = false): Promise<SuspInfo> {
    const nameLength = record[32]!;
    let start = 33 + nameLength + (nameLength % 2 === 0 ? 1 : 0);
    if (!isRootDot) start += this.suspSkip;
    const info: SuspInfo = {};
    const nameParts: Buffer[] = [];
    let nameBytes = 0;
    let area: Buffer = record.subarray(Math.min(start, record.length));
    let hops = 0;
    let total = area.length;
    for (;;) {
      let next: { offset: number; length: number } | undefined;
      let i = 0;
      while (i + 4 <= area.length) {
        const sig = area.toString('latin1', i, i + 2);
        const len = area[i + 2]!;
        if (len < 4 || i + len > area.length) break;
        const e = area.subarray(i, i + len);
        if (sig === 'ST') break;
        if (sig === 'SP' && len >= 7 && e[4] === 0xbe && e[5] === 0xef) info.sp = e[6]!;
        else if (sig === 'ER' && len >= 8) {
          const id = e.toString('latin1', 8, 8 + e[4]!);
          if (RRIP_IDS.has(id)) info.rrip = true;
        } else if (sig === 'RR' || sig === 'PX') info.rrip = true;
        if (sig === 'CE' && len >= 28) {
          next = { offset: u32(e, 4) * this.blockSize + u32(e, 12), length: u32(e, 20) };
        } else if (sig === 'NM' && len >= 5) {
          const flags = e[4]!;
          if (!(flags & 0x06)) {
            nameBytes += len - 5;
            if (nameBytes > MAX_NAME_BYTES) throw corrupt(this.reader.file, 'a Rock Ridge name is longer than 4096 bytes');
            nameParts.push(e.subarray(5));
          }
        } else if (sig === 'PX' && len >= 12) {
          const mode = u32(e, 4) & S_IFMT;
          if (mode === S_IFLNK) info.symlink = true;
          if (mode === S_IFDIR) info.dir = true;
        } else if (sig === 'SL') info.symlink = true;
        else if (sig === 'CL' && len >= 12) info.childLink = u32(e, 4);
        else if (sig === 'RE') info.relocated = true;
        i += len;
      }
      if (!next || next.length === 0) break;
      hops += 1;
      total += next.length;
      if (hops > MAX_CE_HOPS || total > MAX_SUSP_BYTES) throw corrupt(this.reader.file, 'Rock Ridge continuation areas loop or are too large');
      area = await this.reader.read(next.offset, next.length, 'Rock Ridge continuation area');
    }
    if (nameParts.length > 0) info.name = Buffer.concat(nameParts).toString('utf8');
    return info;
  }

  /** The entries of one directory in one view (without "." and ".."). */
  private async entries(view: View, dir: Extent): Promise<Entry[]> {
    if (dir.size > MAX_DIR_BYTES) throw corrupt(this.reader.file, `a directory claims ${dir.size} bytes`);
    const data = await this.reader.read(dir.offset, dir.size, 'directory');
    const result: Entry[] = [];
    let pending: Entry | undefined; // a multi-extent file whose last record is still to come
    let i = 0;
    while (i < data.length) {
      const length = data[i]!;
      if (length === 0) {
        // Records never cross a block boundary: the rest of this block is padding.
        i = (Math.floor(i / this.blockSize) + 1) * this.blockSize;
        continue;
      }
      if (length < 34 || i + length > data.length) throw corrupt(this.reader.file, `a directory record at byte ${dir.offset + i} has length ${length}`);
      const record = data.subarray(i, i + length);
      i += length;
      const nameLength = record[32]!;
      if (33 + nameLength > length) throw corrupt(this.reader.file, `a directory record at byte ${dir.offset + i - length} has a name longer than the record`);
      const rawName = record.subarray(33, 33 + nameLength);
      if (nameLength === 1 && (rawName[0] === 0 || rawName[0] === 1)) continue; // "." and ".."
      const flags = record[25]!;
      let name = view.kind === 'joliet' ? ucs2be(rawName) : rawName.toString('latin1');
      name = cleanIsoName(name);
      let dirFlag = (flags & FLAG_DIR) !== 0;
      let symlink = false;
      // Checked when read, so one damaged entry does not hide its siblings.
      let extent = this.extent(record);
      if (view.kind === 'rockridge') {
        const info = await this.susp(record);
        if (info.relocated) continue; // shown where its CL entry points to it
        if (info.name !== undefined) name = info.name;
        symlink = info.symlink === true;
        if (info.childLink !== undefined) {
          dirFlag = true;
          const at = info.childLink * this.blockSize;
          const head = await this.reader.read(at, 34, 'relocated directory');
          extent = this.extent(head, `relocated directory "${name}"`);
        }
      }
      // No path can name these; leaving them out keeps '..' tricks out of every lookup.
      if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) continue;
      if (pending && pending.name === name && !dirFlag) {
        pending.extents.push(extent);
      } else {
        pending = { name, dir: dirFlag, symlink, interleaved: record[26] !== 0 || record[27] !== 0, extents: [extent] };
        result.push(pending);
      }
      if (!(flags & FLAG_MULTI_EXTENT)) pending = undefined;
    }
    return result;
  }

  private match(view: View, entries: Entry[], wanted: string): Entry | undefined {
    const exact = entries.find((e) => e.name === wanted);
    if (exact) return exact;
    const folded = wanted.toLowerCase();
    const loose = entries.filter((e) => e.name.toLowerCase() === folded);
    if (loose.length === 1) return loose[0];
    if (view.kind !== 'iso9660') return undefined;
    for (const candidate of isoCandidates(cleanIsoName(wanted))) {
      const found = entries.filter((e) => e.name.toUpperCase() === candidate);
      if (found.length === 1) return found[0];
    }
    return undefined;
  }

  private async resolve(view: View, path: string): Promise<Entry | undefined> {
    const parts = path.split('/').filter((p) => p !== '' && p !== '.');
    if (parts.length > MAX_DEPTH || parts.includes('..')) return undefined;
    let current: Entry = { name: '', dir: true, symlink: false, extents: [view.root] };
    const seen = new Set<number>([view.root.offset]);
    for (const part of parts) {
      if (!current.dir) return undefined;
      const child = this.match(view, await this.entries(view, current.extents[0]!), part);
      if (!child) return undefined;
      if (child.dir) {
        const at = child.extents[0]!.offset;
        if (seen.has(at)) throw corrupt(this.reader.file, `directory "${part}" loops back to one of its parents`);
        seen.add(at);
      }
      current = child;
    }
    return current;
  }

  async readFile(path: string): Promise<Buffer | undefined> {
    for (const view of this.views) {
      const entry = await this.resolve(view, path);
      if (!entry) continue;
      return this.readEntry(entry, path);
    }
    return undefined;
  }

  async readFileEachTree(path: string): Promise<{ tree: View['kind']; data: Buffer | undefined }[]> {
    const out: { tree: View['kind']; data: Buffer | undefined }[] = [];
    for (const view of this.views) {
      const entry = await this.resolve(view, path);
      out.push({ tree: view.kind, data: entry ? await this.readEntry(entry, path) : undefined });
    }
    return out;
  }

  private async readEntry(entry: Entry, path: string): Promise<Buffer | undefined> {
    if (entry.dir || entry.symlink) return undefined;
    if (entry.interleaved) throw new RuntimeError(`${this.reader.file}: ${path} is stored interleaved, which edgebuild does not read`, { code: 'iso-unsupported', fix: 'rebuild the image without interleaving' });
    const size = entry.extents.reduce((sum, e) => sum + e.size, 0);
    if (size > MAX_READ_BYTES) {
      throw new RuntimeError(`${this.reader.file}: ${path} is ${size} bytes; edgebuild reads at most ${MAX_READ_BYTES} bytes from an ISO`, {
        code: 'iso-file-too-large',
        fix: 'read small config files only; extract large files with xorriso -osirrox on -extract',
      });
    }
    const parts: Buffer[] = [];
    for (const e of entry.extents) parts.push(await this.reader.read(e.offset, e.size, `file ${path}`));
    return Buffer.concat(parts);
  }

  async list(dir = ''): Promise<string[]> {
    const view = this.views[0]!;
    const entry = await this.resolve(view, dir);
    if (!entry || !entry.dir) {
      throw new RuntimeError(`${this.reader.file}: ${dir || '/'} is not a directory in the image`, { code: 'iso-not-a-directory', fix: 'list the parent directory to see what the image holds' });
    }
    const names = (await this.entries(view, entry.extents[0]!)).map((e) => (e.dir ? `${e.name}/` : e.name));
    return [...new Set(names)].sort();
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

export async function openIso(path: string): Promise<IsoImage> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new RuntimeError(`${path}: cannot open the ISO image (${code ?? String(error)})`, { code: 'iso-unreadable', fix: 'check the path of the ISO image', cause: error });
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new RuntimeError(`${path} is not an ISO 9660 image (not a regular file)`, { code: 'not-iso', fix: 'pass the path of the .iso file' });
    const reader = new Reader(handle, path, stat.size);
    const descriptors = await readDescriptors(reader);
    const iso = new Iso(reader, handle, descriptors.volumeId, descriptors.blockSize);
    await iso.init(descriptors);
    return iso;
  } catch (error) {
    await handle.close();
    throw error;
  }
}
