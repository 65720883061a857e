import { describe, expect, test } from 'vitest';
import { diffLayouts, hasBootEntry, parseBootReport } from '../../src/core/iso9660/bootLayout.js';

// xorriso 1.5.4's plain reports of a Kairos-layout ISO (test/fixtures/installerIso.ts) ...
const KAIROS = `El Torito catalog  : 110  1
El Torito images   :   N  Pltf  B   Emul  Ld_seg  Hdpt  Ldsiz         LBA
El Torito boot img :   1  BIOS  y   none  0x0000  0x00      4         111
El Torito boot img :   2  UEFI  y   none  0x0000  0x00   5760         178
El Torito img path :   1  /boot/grub/eltorito.img
El Torito img opts :   1  boot-info-table grub2-boot-info
El Torito img blks :   2  1440
System area options: 0x00004a00
System area summary: MBR grub2-mbr cyl-align-off
ISO image size/512 : 6472
Partition offset   : 16
MBR heads per cyl  : 64
MBR secs per head  : 32
MBR partition table:   N Status  Type        Start       Blocks
MBR partition      :   1   0x80  0xcd           64          648
MBR partition      :   2   0x00  0xef          712         5760
`;
// ... of the same after \`-boot_image any replay\` with a smaller file: only addresses moved ...
const REPLAYED = KAIROS.replace('110  1', '97  1').replace('111\n', '98\n').replace('178\n', '165\n').replace('6472', '6420').replace('648\n', '596\n').replace('712 ', '660 ');
// ... and after the naive \`-boot_image any keep\`, which no longer boots on BIOS.
const KEPT = `El Torito catalog  : 97  1
El Torito boot img :   1  BIOS  y   none  0x0000  0x00      4          98
El Torito boot img :   2  UEFI  y   none  0x0000  0x00   5760         164
El Torito img path :   1  /boot/grub/eltorito.img
El Torito img blks :   2  1
System area options: 0x00000a00
System area summary: MBR cyl-align-off
ISO image size/512 : 664
Partition offset   : 16
MBR heads per cyl  : 64
MBR secs per head  : 32
MBR partition table:   N Status  Type        Start       Blocks
MBR partition      :   1   0x00  0xcd           64          600
`;

describe('parseBootReport', () => {
  test('summarises the entries and the system area, masking block addresses', () => {
    const layout = parseBootReport(`xorriso : NOTE : Loading ISO image tree\n${KAIROS}`);
    expect(layout.summary).toBe('El Torito BIOS+UEFI; MBR grub2-mbr cyl-align-off');
    expect(layout.lines).toContain('El Torito boot img: 1 BIOS y none 0x0000 0x00 4');
    expect(layout.lines).toContain('MBR partition: 2 0x00 0xef');
    expect(layout.lines.join('\n')).not.toMatch(/6472|\b178\b|\b712\b/);
    expect(layout.lines.some((l) => l.startsWith('xorriso'))).toBe(false);
    expect(hasBootEntry(layout)).toBe(true);
  });

  test("the volume descriptor's identity counts: volume id, time stamps (GRUB's UUID), empty fields", () => {
    const pvd = (modified: string): string => `${KAIROS}Drive current: -indev 'a.iso'\nPVD address  : 16s\nVolume Id    : COS_LIVE\nVolume Set Id: \nModif. Time  : ${modified}\n`;
    const layout = parseBootReport(pvd('2026120104184900'));
    expect(layout.lines).toEqual(expect.arrayContaining(['Volume Id: COS_LIVE', 'Volume Set Id: ', 'Modif. Time: 2026120104184900']));
    expect(layout.lines.some((l) => l.startsWith('Drive current'))).toBe(false);
    expect(diffLayouts(layout, parseBootReport(pvd('2026120104190000'))).lost).toEqual(['Modif. Time: 2026120104184900']);
  });

  test('an image without boot records has no entry', () => {
    const layout = parseBootReport('El Torito catalog  : none\nSystem area summary: none\n');
    expect(hasBootEntry(layout)).toBe(false);
    expect(layout.summary).toBe('no El Torito boot entry; no system area');
  });
});

describe('diffLayouts', () => {
  test('moved addresses are no difference', () => {
    expect(diffLayouts(parseBootReport(KAIROS), parseBootReport(REPLAYED))).toEqual({ lost: [], added: [] });
  });

  test("names what the naive keep loses: GRUB's MBR patch, the boot info table, the ESP partition", () => {
    const diff = diffLayouts(parseBootReport(KAIROS), parseBootReport(KEPT));
    expect(diff.lost).toEqual(
      expect.arrayContaining([
        'El Torito img opts: 1 boot-info-table grub2-boot-info',
        'System area summary: MBR grub2-mbr cyl-align-off',
        'MBR partition: 1 0x80 0xcd',
        'MBR partition: 2 0x00 0xef',
        'El Torito img blks: 2 1440',
      ]),
    );
    expect(diff.added).toContain('MBR partition: 1 0x00 0xcd');
  });

  test('the MBR geometry counts only for images that CHS can address (up to 1 GiB)', () => {
    const geometry = (size: number, heads: number): string => KAIROS.replace('6472', String(size)).replace('heads per cyl  : 64', `heads per cyl  : ${heads}`);
    expect(diffLayouts(parseBootReport(geometry(6472, 64)), parseBootReport(geometry(6472, 65))).lost).toEqual(['MBR heads per cyl: 64']);
    // 1 GiB + a bit: xorriso chooses the heads from the size (the input reports 0: saturated CHS).
    expect(diffLayouts(parseBootReport(geometry(2103980, 0)), parseBootReport(geometry(2104172, 65)))).toEqual({ lost: [], added: [] });
  });

  test('a partition that appears twice must appear twice after', () => {
    const twice = parseBootReport('MBR partition      :   1   0x00  0xcd  1 2\nMBR partition      :   1   0x00  0xcd  3 4\n');
    const once = parseBootReport('MBR partition      :   1   0x00  0xcd  1 2\n');
    expect(diffLayouts(twice, once).lost).toEqual(['MBR partition: 1 0x00 0xcd']);
  });
});
