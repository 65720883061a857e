#!/usr/bin/env node
// `edgebuild verify` on a 1 GiB and a 4 GiB ISO against `openssl dgst
// -sha256` (the reference: the same OpenSSL SHA-256 code, in C, nothing
// else) and `sha256sum` on the same file, side by side: each round runs all
// three in turn, reversing the order every other round, so load on the
// machine hits them alike. verify does more than hash (it starts Node.js,
// reads manifest.json, the .sha256 and the ISO's directory tree to find the
// embedded user-data), so the ratio is an upper bound for the hashing.
// The images are sparse (a small xorriso ISO extended with zeros, as the
// padding of a real one): hashing costs the same for any bytes, and the
// benchmark needs neither 5 GiB of disk nor minutes to write them. Peak RSS
// from /usr/bin/time -v: memory is flat when 1 and 4 GiB need the same.
//
//   npm run build && node bench/verify.mjs [rounds=5] [MiB sizes=1024,4096] [--before <dir>]
import { execFileSync } from 'node:child_process';
import console from 'node:console';
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { URL, fileURLToPath } from 'node:url';
import { publishIso } from './helpers.mjs';
import { alternate, beforeCli, summary, timed } from './lib/measure.mjs';

const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

const before = beforeCli();
const rounds = Number(process.argv[2] ?? 5);
const sizes = (process.argv[3] ?? '1024,4096').split(',').map(Number);
const dir = mkdtempSync(join(tmpdir(), 'edgebuild-bench-verify-'));
const USER_DATA = '#cloud-config\nstylus:\n  imageRedirectWebhook:\n    enable: false\n';

async function makePublished(name, sizeMiB) {
  const stage = join(dir, `stage-${name}`);
  mkdirSync(join(stage, 'files-iso'), { recursive: true });
  writeFileSync(join(stage, 'files-iso', 'config.yaml'), USER_DATA);
  const built = join(dir, `${name}.iso`);
  execFileSync('xorriso', ['-as', 'mkisofs', '-quiet', '-V', 'BENCH', '-J', '-R', '-o', built, stage]);
  rmSync(stage, { recursive: true, force: true });
  truncateSync(built, sizeMiB * 2 ** 20); // a hole: zeros after the image, like its padding
  return publishIso(built, join(dir, `out-${name}`), name, USER_DATA);
}

try {
  console.log(`Node.js ${process.version}, ${process.platform}/${process.arch}, ${rounds} alternating rounds per size\n`);
  console.log('| image | command | median wall | throughput | peak RSS | ratio to openssl |');
  console.log('| ---: | --- | ---: | ---: | ---: | ---: |');
  for (const mib of sizes) {
    const iso = await makePublished(`i${mib}`, mib);
    const variants = {
      openssl: () => timed(['openssl', 'dgst', '-sha256', iso]),
      verify: () => timed([process.execPath, cli, 'verify', iso, '--json']),
      sha256sum: () => timed(['sha256sum', iso]),
    };
    if (before) variants.before = () => timed([process.execPath, before, 'verify', iso, '--json']);
    const samples = alternate(rounds, variants);
    const ref = summary(samples.openssl).seconds;
    const labels = { openssl: '`openssl dgst -sha256`', verify: '`edgebuild verify --json`', sha256sum: '`sha256sum`', before: '`edgebuild verify --json` (before)' };
    for (const name of Object.keys(variants)) {
      const label = labels[name];
      const s = summary(samples[name]);
      console.log(`| ${mib} MiB | ${label} | ${s.seconds.toFixed(2)} s | ${((mib * 2 ** 20) / s.seconds / 1e6).toFixed(0)} MB/s | ${s.rssMiB.toFixed(1)} MiB | ${(s.seconds / ref).toFixed(2)}x |`);
    }
    rmSync(join(dir, `out-i${mib}`), { recursive: true, force: true });
  }
  console.log(`\ngoal: verify <= 1.1x openssl; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
