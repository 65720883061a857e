#!/usr/bin/env node
// Cold start of the CLI against a bare Node.js start, run side by side:
// each round runs every command once, in turn, so load on the machine hits
// all of them alike. Reports medians and the ratio to `node -e 0`.
//
//   npm run build && node bench/startup.mjs [rounds]
import { spawnSync } from 'node:child_process';
import console from 'node:console';
import process from 'node:process';
import { performance } from 'node:perf_hooks';
import { URL, fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
// What --version would cost if command modules were imported eagerly.
const eager = `for (const m of ['commander', 'dockerode', 'listr2', 'simple-git', 'execa', 'ajv', 'yaml']) await import(m)`;
const rounds = Number(process.argv[2] ?? 40);
const commands = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'edgebuild --version', args: [cli, '--version'] },
  { name: 'edgebuild --help', args: [cli, '--help'] },
  { name: 'import every runtime dependency', args: ['--input-type=module', '-e', eager] },
];

function once(args) {
  const start = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const ms = performance.now() - start;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

for (const c of commands) once(c.args); // warm the file cache for every command alike
const times = commands.map(() => []);
for (let i = 0; i < rounds; i++) commands.forEach((c, j) => times[j].push(once(c.args)));

const base = median(times[0]);
console.log(`Node.js ${process.version}, ${process.platform}/${process.arch}, ${rounds} alternating rounds\n`);
console.log('| command | median | p90 | ratio to `node -e 0` |');
console.log('| --- | ---: | ---: | ---: |');
commands.forEach((c, j) => {
  const m = median(times[j]);
  console.log(`| \`${c.name}\` | ${m.toFixed(1)} ms | ${quantile(times[j], 0.9).toFixed(1)} ms | ${(m / base).toFixed(2)}x |`);
});
