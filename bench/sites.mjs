#!/usr/bin/env node
/**
 * Benchmark: `edgebuild sites` for N sites against two baselines run side by
 * side on the same rows, in alternating order:
 *   genisoimage  the documented way: write user-data + meta-data, run
 *                `genisoimage -output <site>.iso -volid cidata -joliet -rock` per site
 *   plain files  the floor: write each site's rendered user-data as a plain file
 * Peak memory is the child's max RSS at several N: flat means it does not grow with N.
 *
 *   npm run build && node bench/sites.mjs [sites=1000] [rounds=3]
 * Work files go to bench/out/ (git-ignored).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { TEMPLATE, sitesCsv } from './lib/sitesInput.mjs';

const N = Number(process.argv[2] ?? 1000);
const ROUNDS = Number(process.argv[3] ?? 3);
const root = resolve('bench/out/sites');
const cli = resolve('dist/cli/main.js');
const { compileTemplate, renderSite } = await import(resolve('dist/core/sites/template.js'));

function setup(n) {
  const dir = join(root, `n${n}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'sites.csv'), sitesCsv(n));
  writeFileSync(join(dir, 'template.yaml'), TEMPLATE);
  return dir;
}

const env = { ...process.env, EDGE_TOKEN: 'bench-token', SOURCE_DATE_EPOCH: '1767225600' };

/** Runs a command under /usr/bin/time; returns seconds and max RSS in MiB. */
function timed(args, cwd) {
  const start = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', ...args], { cwd, env, encoding: 'utf8' });
  const seconds = (performance.now() - start) / 1000;
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
  const kib = Number(r.stderr.trim().split('\n').at(-1));
  return { seconds, rssMiB: kib / 1024 };
}

function edgebuild(dir) {
  rmSync(join(dir, 'out'), { recursive: true, force: true });
  return timed([process.execPath, cli, 'sites', '--sites', 'sites.csv', '--template', 'template.yaml', '--out', 'out', '--json'], dir);
}

/** The rendered user-data per site, made once (rendering is not what the baselines measure). */
function rendered(n) {
  const template = compileTemplate(TEMPLATE, 'template.yaml');
  const out = [];
  for (let i = 0; i < n; i++) {
    const values = { name: `store-${String(i).padStart(5, '0')}`, city: `City ${i % 97}: "east"`, store: String(i).padStart(4, '0'), ip: '10.0.0.10/24', gateway: '10.0.0.1' };
    out.push([values.name, renderSite(template, { name: values.name, row: i + 1, place: { file: 'sites.csv' }, value: (f) => values[f], env }).text]);
  }
  return out;
}

function genisoimage(dir, sites) {
  const base = join(dir, 'geniso');
  rmSync(base, { recursive: true, force: true });
  mkdirSync(base);
  const start = performance.now();
  for (const [name, text] of sites) {
    const site = join(base, name);
    mkdirSync(site);
    writeFileSync(join(site, 'user-data'), text);
    writeFileSync(join(site, 'meta-data'), '');
    const r = spawnSync('genisoimage', ['-quiet', '-output', join(base, `${name}.iso`), '-volid', 'cidata', '-joliet', '-rock', 'user-data', 'meta-data'], { cwd: site });
    if (r.status !== 0) throw new Error(`genisoimage failed: ${r.stderr}`);
  }
  return { seconds: (performance.now() - start) / 1000 };
}

function plainFiles(dir, sites) {
  const base = join(dir, 'plain');
  rmSync(base, { recursive: true, force: true });
  mkdirSync(base);
  const start = performance.now();
  for (const [name, text] of sites) writeFileSync(join(base, `${name}.user-data`), text, { mode: 0o600 });
  return { seconds: (performance.now() - start) / 1000 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const dir = setup(N);
const sites = rendered(N);
const runs = { edgebuild: [], genisoimage: [], plain: [] };
for (let round = 0; round < ROUNDS; round++) {
  // Alternate the order so neither side always runs on a warm cache.
  const order = round % 2 === 0 ? ['edgebuild', 'genisoimage', 'plain'] : ['plain', 'genisoimage', 'edgebuild'];
  for (const which of order) {
    if (which === 'edgebuild') runs.edgebuild.push(edgebuild(dir).seconds);
    if (which === 'genisoimage') runs.genisoimage.push(genisoimage(dir, sites).seconds);
    if (which === 'plain') runs.plain.push(plainFiles(dir, sites).seconds);
  }
}
const e = median(runs.edgebuild);
const g = median(runs.genisoimage);
const p = median(runs.plain);
console.log(`sites=${N} rounds=${ROUNDS} (median wall time; edgebuild includes Node start-up, parsing, validation and sha256)`);
console.log(`| run | seconds | ratio to edgebuild |`);
console.log(`| --- | ---: | ---: |`);
console.log(`| edgebuild sites (in-process ISO writer) | ${e.toFixed(2)} | 1.00 |`);
console.log(`| genisoimage once per site (baseline) | ${g.toFixed(2)} | ${(g / e).toFixed(2)} |`);
console.log(`| plain user-data files, no ISO (floor) | ${p.toFixed(2)} | ${(p / e).toFixed(2)} |`);

console.log('\npeak RSS of edgebuild sites by number of sites (flat = does not grow with N)');
console.log('| sites | seconds | max RSS MiB |');
console.log('| ---: | ---: | ---: |');
for (const n of [10, 100, N, N * 3]) {
  const r = edgebuild(setup(n));
  console.log(`| ${n} | ${r.seconds.toFixed(2)} | ${r.rssMiB.toFixed(0)} |`);
}
