#!/usr/bin/env node
// One million lines of Earthly-like build output, run side by side:
//   pipe      the generator piped into a file (`gen | cat > file`): the baseline
//   redirect  the generator writing the file itself (`gen > file`), no pipe: for scale
//   floor     Node.js reading the pipe and writing the file, nothing else: what
//             any Node.js program pays before doing any work on the output
//   ours      the same generator run by the build step's process runner
//             (its own process group, stdout+stderr split into whole lines,
//             secrets redacted, streamed into the log, the current step
//             tracked for the progress display)
// Each variant runs in a fresh Node.js process so its peak RSS is its own;
// rounds alternate so machine load hits both alike. Memory is flat when the
// peak RSS at 1,000,000 lines is about the one at 100,000.
//
//   npm run build && node bench/buildOutput.mjs [rounds] [lines]
import { spawn, spawnSync } from 'node:child_process';
import console from 'node:console';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';
import { URL, fileURLToPath, pathToFileURL } from 'node:url';

const proc = pathToFileURL(fileURLToPath(new URL('../dist/adapters/proc.js', import.meta.url))).href;
const output = pathToFileURL(fileURLToPath(new URL('../dist/core/build/output.js', import.meta.url))).href;

const generator = (lines) =>
  `awk 'BEGIN { for (i = 0; i < ${lines}; i++) printf "              +build-iso | --> RUN step %d: unpacking layer sha256:0123456789abcdef with token-free output\\n", i }'`;

if (process.argv[2] === '--child') {
  // One measured run, in its own process: argv = --child <mode> <lines> <out>
  const [, , , mode, lines, out] = process.argv;
  // Modules are loaded before the clock starts: this measures the output path, not startup.
  const { runLogged } = await import(proc);
  const { StepTracker } = await import(output);
  await import('execa'); // runLogged imports it on first use (an up-to-date rerun never does): load it here, before the clock
  const started = performance.now();
  if (mode === 'pipe' || mode === 'redirect') {
    spawnSync('bash', ['-c', `${generator(lines)} ${mode === 'pipe' ? '| cat ' : ''}> '${out}'`], { stdio: 'inherit' });
  } else if (mode === 'floor') {
    const child = spawn('bash', ['-c', generator(lines)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const log = createWriteStream(out, { highWaterMark: 4 * 1024 * 1024 });
    await new Promise((resolve) => {
      child.stdout.on('data', (chunk) => log.write(chunk));
      child.stdout.on('end', resolve);
    });
    await new Promise((resolve) => log.end(resolve));
  } else {
    const steps = new StepTracker();
    const timer = setInterval(() => steps.current(), 1000); // as the progress display does
    const result = await runLogged({
      command: ['bash', '-c', generator(lines)],
      cwd: tmpdir(),
      env: process.env,
      logPath: out,
      secrets: ['s3cr3t-token-value', 'pr0xy-pa55w0rd'],
      onBlock: (b) => steps.feed(b),
    });
    clearInterval(timer);
    const step = steps.current();
    if (result.exitCode !== 0 || !step) throw new Error(`bad run: ${JSON.stringify(result)}`);
  }
  const ms = performance.now() - started;
  process.stdout.write(JSON.stringify({ ms, rssKiB: process.resourceUsage().maxRSS }));
  process.exit(0);
}

const rounds = Number(process.argv[2] ?? 9);
const lines = Number(process.argv[3] ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'edgebuild-bench-'));
const self = fileURLToPath(import.meta.url);

// /usr/bin/time adds the CPU time of every process of a variant (node, bash, awk, cat):
// on a busy machine CPU seconds say more than wall time.
function once(mode, n) {
  const out = join(dir, `${mode}.log`);
  const times = join(dir, `${mode}.time`);
  rmSync(out, { force: true });
  const r = spawnSync('/usr/bin/time', ['-o', times, '-f', '%U %S', process.execPath, self, '--child', mode, String(n), out], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`${mode} exited ${r.status}`);
  const [user, sys] = readFileSync(times, 'utf8').trim().split('\n').at(-1).split(' ').map(Number);
  return { ...JSON.parse(r.stdout), cpuMs: (user + sys) * 1000, bytes: statSync(out).size };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

try {
  once('pipe', lines);
  once('ours', lines); // warm up
  const pipe = [];
  const redirect = [];
  const floor = [];
  const ours = [];
  // One line: what starting the command costs each variant (the build step starts its
  // supervisor, a second Node.js process that holds the build to edgebuild's life).
  const floorStart = [];
  const oursStart = [];
  for (let i = 0; i < rounds; i++) {
    pipe.push(once('pipe', lines));
    redirect.push(once('redirect', lines));
    floor.push(once('floor', lines));
    ours.push(once('ours', lines));
    floorStart.push(once('floor', 1));
    oursStart.push(once('ours', 1));
  }
  const small = once('ours', lines / 10);
  const mp = median(pipe.map((r) => r.ms));
  const mo = median(ours.map((r) => r.ms));
  const cp = median(pipe.map((r) => r.cpuMs));
  const co = median(ours.map((r) => r.cpuMs));
  console.log(`Node.js ${process.version}, ${process.platform}/${process.arch}, ${lines.toLocaleString('en')} lines (${(ours[0].bytes / 2 ** 20).toFixed(0)} MiB), ${rounds} alternating rounds\n`);
  console.log('| variant | median wall | median CPU (all processes) | peak RSS of the Node.js process |');
  console.log('| --- | ---: | ---: | ---: |');
  console.log(`| \`gen \\| cat > file\` (baseline) | ${mp.toFixed(0)} ms | ${cp.toFixed(0)} ms | |`);
  console.log(`| \`gen > file\` (no pipe) | ${median(redirect.map((r) => r.ms)).toFixed(0)} ms | ${median(redirect.map((r) => r.cpuMs)).toFixed(0)} ms | |`);
  console.log(`| Node.js: pipe to file, no work (floor) | ${median(floor.map((r) => r.ms)).toFixed(0)} ms | ${median(floor.map((r) => r.cpuMs)).toFixed(0)} ms | ${(median(floor.map((r) => r.rssKiB)) / 1024).toFixed(0)} MiB |`);
  console.log(`| through the build step | ${mo.toFixed(0)} ms | ${co.toFixed(0)} ms | ${(median(ours.map((r) => r.rssKiB)) / 1024).toFixed(0)} MiB |`);
  console.log(`| through the build step, ${(lines / 10).toLocaleString('en')} lines | ${small.ms.toFixed(0)} ms | ${small.cpuMs.toFixed(0)} ms | ${(small.rssKiB / 1024).toFixed(0)} MiB |`);
  const mf = median(floor.map((r) => r.ms));
  const sf = median(floorStart.map((r) => r.ms));
  const so = median(oursStart.map((r) => r.ms));
  console.log(`| Node.js floor, one line (its start) | ${sf.toFixed(0)} ms | ${median(floorStart.map((r) => r.cpuMs)).toFixed(0)} ms | |`);
  console.log(`| through the build step, one line (its start) | ${so.toFixed(0)} ms | ${median(oursStart.map((r) => r.cpuMs)).toFixed(0)} ms | |`);
  console.log(`\nratio (build step / pipe): wall ${(mo / mp).toFixed(2)}x, CPU ${(co / cp).toFixed(2)}x (goal < 1.2x); build step / floor: wall ${(mo / mf).toFixed(2)}x; the output alone (each minus its start): ${((mo - so) / (mf - sf)).toFixed(2)}x; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
