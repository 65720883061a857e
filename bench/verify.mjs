#!/usr/bin/env node
// `edgebuild verify` on a 1 GiB ISO against `sha256sum` on the same file,
// side by side: each round runs both, in turn, with the file in the page
// cache, so load on the machine hits both alike. verify does more than
// hash (it reads manifest.json, the .sha256 and the ISO's directory tree to
// find the embedded user-data), so the ratio is a floor for the hashing.
// Peak RSS from /usr/bin/time; memory is flat when a 1 GiB and a 256 MiB
// image need about the same.
//
//   npm run build && node bench/verify.mjs [rounds] [MiB]
import { execFileSync } from 'node:child_process';
import console from 'node:console';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { cli, median, publishIso, timed as timedIn } from './helpers.mjs';

const rounds = Number(process.argv[2] ?? 5);
const mib = Number(process.argv[3] ?? 1024);
const dir = mkdtempSync(join(tmpdir(), 'edgebuild-bench-verify-'));
const USER_DATA = '#cloud-config\nstylus:\n  imageRedirectWebhook:\n    enable: false\n';

async function makePublished(name, sizeMiB) {
  const stage = join(dir, `stage-${name}`);
  mkdirSync(join(stage, 'files-iso'), { recursive: true });
  writeFileSync(join(stage, 'files-iso', 'config.yaml'), USER_DATA);
  execFileSync('sh', ['-c', `head -c ${sizeMiB}M /dev/urandom > '${join(stage, 'rootfs.squashfs')}'`]);
  const built = join(dir, `${name}.iso`);
  execFileSync('xorriso', ['-as', 'mkisofs', '-quiet', '-V', 'BENCH', '-J', '-R', '-o', built, stage]);
  rmSync(stage, { recursive: true, force: true });
  return publishIso(built, join(dir, `out-${name}`), name, USER_DATA);
}

const timed = (command, args) => timedIn(dir, command, args);

try {
  const big = await makePublished('big', mib);
  const small = await makePublished('small', mib / 4);
  const verify = (iso) => timed(process.execPath, [cli, 'verify', iso, '--json']);
  const sum = (iso) => timed('sha256sum', [iso]);
  verify(big);
  sum(big); // warm the page cache for both alike
  const ours = [];
  const theirs = [];
  for (let i = 0; i < rounds; i++) {
    theirs.push(sum(big));
    ours.push(verify(big));
  }
  const smallOurs = verify(small);
  const bytes = mib * 2 ** 20;
  const mbps = (s) => bytes / s / 1e6;
  const wo = median(ours.map((r) => r.wall));
  const wt = median(theirs.map((r) => r.wall));
  console.log(`Node.js ${process.version}, ${process.platform}/${process.arch}, ${mib} MiB image in the page cache, ${rounds} alternating rounds\n`);
  console.log('| command | median wall | throughput | peak RSS |');
  console.log('| --- | ---: | ---: | ---: |');
  console.log(`| \`sha256sum\` | ${wt.toFixed(2)} s | ${mbps(wt).toFixed(0)} MB/s | ${(median(theirs.map((r) => r.rssKiB)) / 1024).toFixed(1)} MiB |`);
  console.log(`| \`edgebuild verify --json\` | ${wo.toFixed(2)} s | ${mbps(wo).toFixed(0)} MB/s | ${(median(ours.map((r) => r.rssKiB)) / 1024).toFixed(1)} MiB |`);
  console.log(`| \`edgebuild verify --json\`, ${mib / 4} MiB image | ${smallOurs.wall.toFixed(2)} s | | ${(smallOurs.rssKiB / 1024).toFixed(1)} MiB |`);
  console.log(`\nthroughput ratio (verify / sha256sum): ${(wt / wo).toFixed(2)}x (goal >= 0.9x); load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
