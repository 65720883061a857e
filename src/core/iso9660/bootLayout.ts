/**
 * The boot layout of an ISO as xorriso reports it (`-report_el_torito plain
 * -report_system_area plain -pvd_info`), with block addresses masked: what
 * must be the same before and after a remaster for the image to boot the
 * same way and be found by the same volume id and time stamp. Pure.
 */

/** Fields that only hold block addresses or sizes that move when one file changes. */
const DROPPED = new Set([
  'Drive current',
  'Media current',
  'Media status',
  'Media summary',
  'ISO image size/512',
  'GPT disk GUID', // derived from the image's time stamp by xorriso
  'GPT partition GUID',
  'GPT lba range',
  'GPT start and size',
  'APM start and size',
  'GPT backup problems',
]);

/** Fields whose last columns are addresses: keep only their first `n` columns. */
const KEEP_COLUMNS: Record<string, number> = {
  'El Torito catalog': 0, // LBA and count of catalog blocks
  'El Torito boot img': 7, // N Pltf B Emul Ld_seg Hdpt Ldsiz | LBA
  'MBR partition': 3, // N Status Type | Start Blocks
  'GPT entry array': 0,
};

export interface BootLayout {
  /** `Field: value` lines, addresses masked, in report order. */
  lines: string[];
  /** e.g. `El Torito BIOS+UEFI; MBR grub2-mbr cyl-align-off`. */
  summary: string;
  /** The image's size in 512-byte sectors, as the system area sees it. */
  sectors?: number;
}

/**
 * Cylinders past 1024 cannot be written in an MBR's CHS fields: above
 * 64 heads x 32 sectors x 1024 cylinders (1 GiB) xorriso picks the geometry
 * anew from the image size, and firmware boots such images by LBA. Their
 * geometry is then a function of the size, like a block address.
 */
const CHS_LIMIT_SECTORS = 64 * 32 * 1024;
const GEOMETRY = ['MBR heads per cyl:', 'MBR secs per head:'];

function masked(key: string, value: string): string | undefined {
  if (DROPPED.has(key)) return undefined;
  const keep = KEEP_COLUMNS[key];
  if (keep === undefined) return value;
  return value.split(' ').slice(0, keep).join(' ');
}

/** Parses xorriso's plain boot reports (El Torito and system area, in one text). */
export function parseBootReport(text: string): BootLayout {
  const lines: string[] = [];
  const platforms: string[] = [];
  let system = '';
  let sectors: number | undefined;
  for (const raw of text.split('\n')) {
    const m = /^([A-Za-z][A-Za-z0-9 ./_-]*?)\s*:(?:\s(.*))?$/.exec(raw.trimEnd());
    // xorriso's own messages ("xorriso : NOTE : ...") and libisofs notes are not part of the layout.
    if (!m || /^(xorriso|libisofs|libburn|libisoburn)$/.test(m[1]!)) continue;
    const key = m[1]!;
    const value = (m[2] ?? '').trim().replace(/\s+/g, ' ');
    if (key === 'El Torito boot img') {
      const platform = value.split(/\s+/)[1];
      if (platform && /^\d+$/.test(value.split(/\s+/)[0]!)) platforms.push(platform);
    }
    if (key === 'System area summary') system = value;
    if (key === 'ISO image size/512' && /^\d+$/.test(value)) sectors = Number(value);
    const shown = masked(key, value);
    if (shown !== undefined) lines.push(`${key}: ${shown}`);
  }
  const parts = [platforms.length ? `El Torito ${platforms.join('+')}` : 'no El Torito boot entry', system && system !== 'none' ? system : 'no system area'];
  return { lines, summary: parts.join('; '), ...(sectors === undefined ? {} : { sectors }) };
}

export interface LayoutDiff {
  /** Lines of the input's layout missing from the output's. */
  lost: string[];
  /** Lines of the output's layout the input did not have. */
  added: string[];
}

/** Compares two layouts as multisets of lines (order of partitions is part of each line's number). */
export function diffLayouts(before: BootLayout, after: BootLayout): LayoutDiff {
  const big = Math.max(before.sectors ?? 0, after.sectors ?? 0) > CHS_LIMIT_SECTORS;
  const compared = (layout: BootLayout): string[] => (big ? layout.lines.filter((l) => !GEOMETRY.some((g) => l.startsWith(g))) : layout.lines);
  const remaining = new Map<string, number>();
  for (const l of compared(after)) remaining.set(l, (remaining.get(l) ?? 0) + 1);
  const lost: string[] = [];
  for (const l of compared(before)) {
    const n = remaining.get(l) ?? 0;
    if (n > 0) remaining.set(l, n - 1);
    else lost.push(l);
  }
  const added = [...remaining].flatMap(([l, n]) => Array<string>(n).fill(l));
  return { lost, added };
}

/** True when the layout has a BIOS or UEFI way in at all: an image without one is no installer. */
export function hasBootEntry(layout: BootLayout): boolean {
  return layout.lines.some((l) => l.startsWith('El Torito boot img:'));
}
