#!/usr/bin/env node
// `edgebuild remaster` of a published 1 GiB hybrid installer ISO against
// `cp` of the same file, side by side in alternating rounds. The ISO has a
// GRUB hybrid boot setup (El Torito BIOS + UEFI, GRUB's MBR, the ESP as an
// appended partition) and a padding file made sparse on disk (the image
// itself is written in full, as a real one is). remaster does more than
// copy: it hashes the input against its .sha256 (at the same time as
// xorriso copies it), checks the new image's boot records and file tree,
// and hashes the result once. Peak RSS is the largest process (node or
// xorriso), from /usr/bin/time.
//
//   npm run build && node bench/remaster.mjs [rounds] [MiB]
import { execFileSync } from 'node:child_process';
import console from 'node:console';
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { cli, median, publishIso, timed } from './helpers.mjs';

const rounds = Number(process.argv[2] ?? 5);
const mib = Number(process.argv[3] ?? 1024);
const dir = mkdtempSync(join(tmpdir(), 'edgebuild-bench-remaster-'));
const USER_DATA = '#cloud-config\nstylus:\n  site:\n    paletteEndpoint: old.example.invalid\n  imageRedirectWebhook:\n    enable: false\n';
const NEW_USER_DATA = '#cloud-config\nstylus:\n  site:\n    paletteEndpoint: new.example.invalid\n';

function makeIso(name, sizeMiB) {
  const stage = join(dir, `stage-${name}`);
  mkdirSync(join(stage, 'files-iso'), { recursive: true });
  mkdirSync(join(stage, 'boot/grub'), { recursive: true });
  writeFileSync(join(stage, 'files-iso', 'config.yaml'), USER_DATA);
  writeFileSync(join(stage, 'padding.img'), '');
  truncateSync(join(stage, 'padding.img'), sizeMiB * 2 ** 20); // sparse: no disk blocks, reads as zeros
  execFileSync('grub-mkimage', ['-O', 'i386-pc-eltorito', '-p', '/boot/grub', '-o', join(stage, 'boot/grub/eltorito.img'), 'iso9660', 'biosdisk', 'normal']);
  const efi = join(dir, `efi-${name}.img`);
  execFileSync('mformat', ['-C', '-f', '2880', '-i', efi, '::']);
  const built = join(dir, `built-${name}.iso`);
  // prettier-ignore
  execFileSync('xorriso', ['-as', 'mkisofs', '-quiet', '-R', '-J', '-V', 'COS_LIVE', '-o', built,
    '--grub2-mbr', '/usr/lib/grub/i386-pc/boot_hybrid.img', '-partition_offset', '16',
    '-b', 'boot/grub/eltorito.img', '-no-emul-boot', '-boot-load-size', '4', '-boot-info-table', '--grub2-boot-info',
    '-append_partition', '2', '0xef', efi, '-eltorito-alt-boot', '-e', '--interval:appended_partition_2:all::', '-no-emul-boot',
    stage]);
  rmSync(stage, { recursive: true, force: true });
  return publishIso(built, join(dir, `dist-${name}`), 'installer', USER_DATA);
}

try {
  const iso = await makeIso('big', mib);
  const small = await makeIso('small', mib / 4);
  const userData = join(dir, 'new.yaml');
  writeFileSync(userData, NEW_USER_DATA);
  const out = join(dir, 'out');
  const copy = join(dir, 'copy.iso');
  const remaster = (input = iso) => {
    rmSync(out, { recursive: true, force: true });
    return timed(dir, process.execPath, [cli, 'remaster', input, '--user-data', userData, '--out', out, '--json']);
  };
  const cp = () => {
    rmSync(copy, { force: true });
    return timed(dir, 'cp', [iso, copy]);
  };
  remaster();
  cp(); // warm the page cache for both alike
  const ours = [];
  const theirs = [];
  for (let i = 0; i < rounds; i++) {
    theirs.push(cp());
    ours.push(remaster());
  }
  const smallOurs = remaster(small);
  // One SHA-256 pass over the image: remaster needs two (the input against its .sha256, the output once).
  // (openssl uses the CPU's SHA instructions, as Node's crypto does; coreutils' sha256sum does not.)
  const hashPass = median([0, 1, 2].map(() => timed(dir, 'openssl', ['dgst', '-sha256', iso]).wall));
  const wo = median(ours.map((r) => r.wall));
  const wt = median(theirs.map((r) => r.wall));
  const ratios = ours.map((r, i) => r.wall / Math.max(theirs[i].wall, 0.01));
  console.log(`Node.js ${process.version}, ${process.platform}/${process.arch}, ${mib} MiB hybrid ISO (BIOS + UEFI) in the page cache, ${rounds} alternating rounds\n`);
  console.log('| command | median wall | peak RSS |');
  console.log('| --- | ---: | ---: |');
  console.log(`| \`cp\` | ${wt.toFixed(2)} s | ${(median(theirs.map((r) => r.rssKiB)) / 1024).toFixed(1)} MiB |`);
  console.log(`| \`edgebuild remaster --json\` | ${wo.toFixed(2)} s | ${(median(ours.map((r) => r.rssKiB)) / 1024).toFixed(1)} MiB |`);
  console.log(`| \`openssl dgst -sha256\` (one hash pass, for scale) | ${hashPass.toFixed(2)} s | |`);
  console.log(`| \`edgebuild remaster --json\`, ${mib / 4} MiB image | ${smallOurs.wall.toFixed(2)} s | ${(smallOurs.rssKiB / 1024).toFixed(1)} MiB |`);
  console.log(`\nratio of medians (remaster / cp): ${(wo / wt).toFixed(2)}x (goal <= 3x); median of per-round ratios ${median(ratios).toFixed(2)}x; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
