/**
 * Shared pieces of the benchmarks: a child process timed by wall clock with
 * its peak RSS (the kernel's maxrss of the whole process tree below
 * /usr/bin/time -v), medians, and rounds that alternate their order so no
 * variant always runs first on a warm cache.
 */
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import process from 'node:process';

/** Runs argv under /usr/bin/time -v; wall seconds, CPU seconds (user + system, the whole tree) and peak RSS in MiB. Throws on a non-zero exit. */
export function timed(argv, options = {}) {
  const start = performance.now();
  const r = spawnSync('/usr/bin/time', ['-v', ...argv], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...options });
  const seconds = (performance.now() - start) / 1000;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr.slice(-2000)}`);
  const kib = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1]);
  const cpu = (name) => Number(new RegExp(`${name} time \\(seconds\\): ([\\d.]+)`).exec(r.stderr)?.[1]);
  return { seconds, cpuSeconds: cpu('User') + cpu('System'), rssMiB: kib / 1024, stdout: r.stdout };
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

/** Runs every variant once per round, reversing the order every other round; returns the samples by name. */
export function alternate(rounds, variants) {
  const names = Object.keys(variants);
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < rounds; round++) {
    for (const name of round % 2 === 0 ? names : [...names].reverse()) samples[name].push(variants[name]());
  }
  return samples;
}

/** Median seconds (wall and CPU) and the largest peak RSS of a variant's samples. */
export function summary(samples) {
  return { seconds: median(samples.map((s) => s.seconds)), cpuSeconds: median(samples.map((s) => s.cpuSeconds)), rssMiB: Math.max(...samples.map((s) => s.rssMiB)) };
}

/**
 * `--before <dir>`: another checkout's build (e.g. `git archive main | tar -x -C <dir>`,
 * node_modules linked, `npx tsc -p tsconfig.build.json`), measured in the same rounds
 * as this one so before and after are side by side.
 */
export function beforeCli(argv = process.argv) {
  const at = argv.indexOf('--before');
  if (at < 0) return undefined;
  const dir = argv[at + 1];
  argv.splice(at, 2);
  return `${dir}/dist/cli/main.js`;
}

/** A Markdown table row per variant: median wall, ratio to the reference variant, peak RSS. */
export function printTable(samples, reference, labels = {}) {
  const ref = summary(samples[reference]).seconds;
  console.log('| command | median wall | ratio to reference | peak RSS |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const name of Object.keys(samples)) {
    const s = summary(samples[name]);
    console.log(`| ${labels[name] ?? name} | ${(s.seconds * 1000).toFixed(0)} ms | ${(s.seconds / ref).toFixed(2)}x | ${s.rssMiB.toFixed(1)} MiB |`);
  }
}
