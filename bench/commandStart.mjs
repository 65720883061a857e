#!/usr/bin/env node
/**
 * How long `edgebuild registries` and `edgebuild tags` take from start to
 * exit, against `node -e 0` (the reference: a bare Node.js start), all in
 * the same rounds in alternating order. registries renders the example
 * build-configs/registries.yaml (validation included); tags lists a local
 * fixture repository's tags from an already cached mirror (`git ls-remote`
 * of a local path and one `git grep`). Each beside a floor: the same outside
 * work in a bare Node.js script (bench/lib/commandFloors.mjs). Goal: at most
 * 2x `node -e 0`.
 *
 *   npm run build && node bench/commandStart.mjs [rounds=20] [--before <dir>]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { URL, fileURLToPath, pathToFileURL } from 'node:url';
import process from 'node:process';
import { makeCanvosRepo } from './lib/canvosRepo.mjs';
import { alternate, beforeCli, printTable, timed } from './lib/measure.mjs';

const before = beforeCli();
const rounds = Number(process.argv[2] ?? 20);
const cli = resolve('dist/cli/main.js');
const config = resolve('build-configs/registries.yaml');
const dir = mkdtempSync(join(tmpdir(), 'edgebuild-bench-start-'));

try {
  const repo = makeCanvosRepo(dir, { tags: ['v4.8.1', 'v4.9.38', 'v4.10.0-rc1'] });
  const env = { ...process.env, HOME: dir, XDG_CACHE_HOME: join(dir, 'cache') };
  const floors = fileURLToPath(new URL('./lib/commandFloors.mjs', import.meta.url));
  timed([process.execPath, cli, 'tags', '--repo', repo], { env, cwd: dir }); // the mirror is made once, as on a second run
  const mirror = execFileSync('sh', ['-c', `ls -d ${join(dir, 'cache', 'edgebuild', 'git')}/*.git | head -1`], { encoding: 'utf8' }).trim();
  const variants = {
    'node -e 0': () => timed([process.execPath, '-e', '0'], { env }),
    'floor of registries: read, parse and write the YAML with the yaml package': () => timed([process.execPath, floors, 'registries', config], { env }),
    'floor of tags: git ls-remote + git grep': () => timed([process.execPath, floors, 'tags', mirror, pathToFileURL(repo).href], { env }),
  };
  for (const [label, main] of [['', cli], [' (before)', before]]) {
    if (!main) continue;
    variants[`edgebuild registries${label}`] = () => timed([process.execPath, main, 'registries', '--config', config], { env, cwd: dir });
    variants[`edgebuild tags${label}`] = () => timed([process.execPath, main, 'tags', '--repo', repo, '--json'], { env, cwd: dir });
  }
  const samples = alternate(rounds, variants);
  console.log(`Node.js ${process.version}, ${process.platform}/${process.arch}, ${rounds} alternating rounds, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
  printTable(samples, 'node -e 0', Object.fromEntries(Object.keys(variants).map((k) => [k, `\`${k}\``])));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
