#!/usr/bin/env node
// `edgebuild remaster` of a published 1 GiB hybrid installer ISO against
// `cp` of the same file, side by side in alternating rounds (the order
// reverses every other round). The ISO has a GRUB hybrid boot setup (El
// Torito BIOS + UEFI, GRUB's MBR, the ESP as an appended partition) and a
// padding file made sparse on disk (the image itself is written in full, as
// a real one is). remaster does more than copy: it hashes the input against
// its .sha256 (while xorriso copies it), checks the new image's boot records
// and file tree, and hashes the new image once. Cold: the hash cache is
// empty, the input is read in full; warm: this machine hashed exactly this
// file before (--cache-dir), so only the new image is hashed. The floor of
// that work is measured in the same rounds: one `openssl dgst -sha256` pass
// (remaster needs two cold, one warm) and xorriso alone, writing the new
// image to a file (as remaster runs it) and into a pipe that `cat` stores.
// Peak RSS is the largest process (node or xorriso); CPU is user + system
// of the whole tree, steadier than wall time on a shared machine.
//
//   npm run build && node bench/remaster.mjs [rounds] [MiB] [--before <dir>] [--pipe]
import { execFileSync } from 'node:child_process';
import console from 'node:console';
import { mkdirSync, mkdtempSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { cli, publishIso } from './helpers.mjs';
import { alternate, beforeCli, median, summary, timed } from './lib/measure.mjs';

const before = beforeCli();
const rounds = Number(process.argv[2] ?? 5);
const mib = Number(process.argv[3] ?? 1024);
const dir = mkdtempSync(join(tmpdir(), 'edgebuild-bench-remaster-'));
const USER_DATA = '#cloud-config\nstylus:\n  site:\n    paletteEndpoint: old.example.invalid\n  imageRedirectWebhook:\n    enable: false\n';
const NEW_USER_DATA = '#cloud-config\nstylus:\n  site:\n    paletteEndpoint: new.example.invalid\n';
/** Over the 2048 bytes allocated to USER_DATA: remaster writes through xorriso. */
const BIG_USER_DATA = `${NEW_USER_DATA}# ${'padding '.repeat(300)}\n`;

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

const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');

try {
  const iso = await makeIso('big', mib);
  const small = await makeIso('small', mib / 4);
  // Published an hour ago: the hash cache keeps no hash of a file written moments before it was read.
  const anHourAgo = new Date(Date.now() - 3_600_000);
  for (const f of [iso, small]) utimesSync(f, anHourAgo, anHourAgo);
  const userData = join(dir, 'new.yaml');
  writeFileSync(userData, NEW_USER_DATA);
  const bigUserData = join(dir, 'big.yaml');
  writeFileSync(bigUserData, BIG_USER_DATA);
  const out = join(dir, 'out');
  const copy = join(dir, 'copy.iso');
  const cache = join(dir, 'cache');
  // `hashes`: 'cold' empties the hash cache first, 'warm' keeps it; none for main, which has no cache.
  const remaster = (main, input, hashes, data = userData) => () => {
    rmSync(out, { recursive: true, force: true });
    if (hashes === 'cold') rmSync(cache, { recursive: true, force: true });
    const r = timed([process.execPath, main, 'remaster', input, '--user-data', data, '--out', out, '--json', ...(hashes ? ['--cache-dir', cache] : [])]);
    const method = JSON.parse(r.stdout).write?.method;
    if (main === cli && method !== (data === userData ? 'in-place' : 'xorriso')) throw new Error(`remaster wrote ${method}`);
    return r;
  };
  const cp = () => {
    rmSync(copy, { force: true });
    return timed(['cp', iso, copy]);
  };
  // What xorriso alone costs, as remaster runs it (the image written to a file), and into a pipe that cat stores.
  const xorrisoArgs = (outdev) => ['-abort_on', 'FAILURE', '-stdio_sync', 'off', '-indev', iso, '-outdev', outdev, '-boot_image', 'any', 'replay', '-joliet', 'on', '-update', userData, '/files-iso/config.yaml', '-commit'];
  const xorrisoFile = () => {
    rmSync(copy, { force: true });
    return timed(['xorriso', ...xorrisoArgs(copy)]);
  };
  const xorrisoPipe = () => {
    rmSync(copy, { force: true });
    return timed(['sh', '-c', 'xorriso "$@" 3>&1 >/dev/null 2>&1 | cat > "$0"', copy, ...xorrisoArgs('stdio:/dev/fd/3')]);
  };
  const variants = {
    cp,
    remaster: remaster(cli, iso, 'cold'),
    warm: remaster(cli, iso, 'warm'),
    xorrisoCold: remaster(cli, iso, 'cold', bigUserData),
    xorrisoWarm: remaster(cli, iso, 'warm', bigUserData),
    ...(before ? { before: remaster(before, iso) } : {}),
    openssl: () => timed(['openssl', 'dgst', '-sha256', iso]),
    xorriso: xorrisoFile,
    ...(process.argv.includes('--pipe') ? { xorrisoPipe } : {}),
  };
  const labels = {
    cp: '`cp`',
    remaster: '`edgebuild remaster --json`, in place, cold (input read in full)',
    warm: '`edgebuild remaster --json`, in place, warm (input hashed here before)',
    xorrisoCold: '`edgebuild remaster --json`, xorriso (user-data > 2048 bytes), cold',
    xorrisoWarm: '`edgebuild remaster --json`, xorriso (user-data > 2048 bytes), warm',
    before: '`edgebuild remaster --json` (before: main)',
    openssl: '`openssl dgst -sha256` (one hash pass)',
    xorriso: '`xorriso … -outdev new.iso` (the copy alone, as remaster runs it)',
    xorrisoPipe: '`xorriso … -outdev stdio:/dev/fd/3 \\| cat > new.iso`',
  };
  for (const run of Object.values(variants)) run(); // warm the page cache and the code for all alike
  const loadBefore = load();
  const samples = alternate(rounds, variants);
  const loadAfter = load();
  const smallSamples = alternate(Math.max(1, Math.ceil(rounds / 2)), { remaster: remaster(cli, small, 'cold'), warm: remaster(cli, small, 'warm'), xorrisoWarm: remaster(cli, small, 'warm', bigUserData), ...(before ? { before: remaster(before, small) } : {}) });
  const ref = summary(samples.cp).seconds;
  console.log(`Node.js ${process.version}, ${process.platform}/${process.arch}, ${mib} MiB hybrid ISO (BIOS + UEFI) in the page cache, ${rounds} alternating rounds; load average ${loadBefore} before, ${loadAfter} after\n`);
  console.log('| command | median wall | ratio to `cp` | median CPU (user + sys) | peak RSS |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  const row = (label, s, cpu) => console.log(`| ${label} | ${s.seconds.toFixed(2)} s | ${(s.seconds / ref).toFixed(2)}x | ${cpu.toFixed(2)} s | ${s.rssMiB.toFixed(1)} MiB |`);
  for (const [name, list] of Object.entries(samples)) row(labels[name], summary(list), median(list.map((x) => x.cpuSeconds)));
  for (const [name, list] of Object.entries(smallSamples)) row(`${labels[name]}, ${mib / 4} MiB image`, summary(list), median(list.map((x) => x.cpuSeconds)));
  for (const name of ['remaster', 'warm', 'xorrisoCold', 'xorrisoWarm']) {
    const ratios = samples[name].map((r, i) => r.seconds / samples.cp[i].seconds);
    console.log(`\n${labels[name]} / cp: ${(summary(samples[name]).seconds / ref).toFixed(2)}x (goal <= 3x); median of per-round ratios ${median(ratios).toFixed(2)}x`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
