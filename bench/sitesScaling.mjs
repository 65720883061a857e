#!/usr/bin/env node
/**
 * `edgebuild sites` at 1k / 10k / 50k rows (the same CSV shape as
 * bench/sites.mjs): time must grow linearly (10k within 11x the 1k time) and
 * peak RSS must stay flat (at most 1 KiB more per site). The sizes alternate
 * within each round; peak RSS is the process's (the worker thread's included), from
 * /usr/bin/time -v, and so is CPU time (user + system): on a shared machine CPU time and
 * ratios measured in the same rounds are what to read, not wall time. With
 * `--before <dir>` (see bench/lib/measure.mjs) that build runs every size in the same
 * rounds, side by side.
 *
 *   npm run build && node bench/sitesScaling.mjs [rounds=3] [sizes=1000,10000,50000] [--before <dir>]
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadavg } from 'node:os';
import { alternate, beforeCli, summary, timed } from './lib/measure.mjs';
import { TEMPLATE, sitesCsv } from './lib/sitesInput.mjs';

const before = beforeCli();
const rounds = Number(process.argv[2] ?? 3);
const sizes = (process.argv[3] ?? '1000,10000,50000').split(',').map(Number);
const root = resolve('bench/out/sites-scaling');
const cli = resolve('dist/cli/main.js');
const env = { ...process.env, EDGE_TOKEN: 'bench-token', SOURCE_DATE_EPOCH: '1767225600' };

const dirs = new Map();
for (const n of sizes) {
  const dir = join(root, `n${n}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'sites.csv'), sitesCsv(n));
  writeFileSync(join(dir, 'template.yaml'), TEMPLATE);
  dirs.set(n, dir);
}
const run = (n, main = cli) => () => {
  const dir = dirs.get(n);
  rmSync(join(dir, 'out'), { recursive: true, force: true });
  return timed([process.execPath, main, 'sites', '--sites', 'sites.csv', '--template', 'template.yaml', '--out', 'out', '--json'], { cwd: dir, env });
};
const variants = {};
for (const n of sizes) {
  variants[n] = run(n);
  if (before) variants[`before ${n}`] = run(n, before);
}
const samples = alternate(rounds, variants);
console.log(`Node.js ${process.version}, ${rounds} alternating rounds, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);

function table(label, key) {
  const results = sizes.map((n) => ({ n, ...summary(samples[key(n)]) }));
  const base = results[0];
  console.log(`| ${label} sites | median wall | median CPU | CPU / ${base.n} sites' CPU | CPU ms per site | peak RSS | RSS growth per site over ${base.n} sites |`);
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of results) {
    const growth = r.n === base.n ? '' : `${(((r.rssMiB - base.rssMiB) * 1024) / (r.n - base.n)).toFixed(2)} KiB`;
    console.log(`| ${r.n} | ${r.seconds.toFixed(2)} s | ${r.cpuSeconds.toFixed(2)} s | ${(r.cpuSeconds / base.cpuSeconds).toFixed(2)}x | ${((r.cpuSeconds * 1000) / r.n).toFixed(3)} | ${r.rssMiB.toFixed(0)} MiB | ${growth} |`);
  }
  return results;
}
const after = table('this build:', (n) => n);
if (before) {
  console.log();
  const then = table(`before (${before}):`, (n) => `before ${n}`);
  console.log('\n| sites | CPU, this build / before | wall, this build / before |');
  console.log('| ---: | ---: | ---: |');
  after.forEach((r, i) => console.log(`| ${r.n} | ${(r.cpuSeconds / then[i].cpuSeconds).toFixed(2)}x | ${(r.seconds / then[i].seconds).toFixed(2)}x |`));
}
