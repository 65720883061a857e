// Pieces shared by the benchmarks: timing a command with /usr/bin/time,
// medians, and publishing an ISO the way `edgebuild iso` does.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { URL, fileURLToPath, pathToFileURL } from 'node:url';

export const dist = (p) => pathToFileURL(fileURLToPath(new URL(`../dist/${p}`, import.meta.url))).href;
export const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

/** Wall seconds and peak RSS (KiB) of one run; `dir` holds time's output file. */
export function timed(dir, command, args) {
  const times = join(dir, 'time');
  const r = spawnSync('/usr/bin/time', ['-o', times, '-f', '%e %M', command, ...args], { stdio: ['ignore', process.env.BENCH_VERBOSE ? 'inherit' : 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${r.status}`);
  const [wall, rssKiB] = readFileSync(times, 'utf8').trim().split('\n').at(-1).split(' ').map(Number);
  return { wall, rssKiB };
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

/** Publishes `built` into `outDir` with .sha256 and manifest.json; returns the published ISO's path. */
export async function publishIso(built, outDir, name, userData) {
  const { publish } = await import(dist('pipeline/publish.js'));
  const { sha256File } = await import(dist('adapters/checksum.js'));
  const { sha256 } = await import(dist('core/digest.js'));
  await publish({
    outDir,
    isoName: name,
    iso: { path: built, ...(await sha256File(built)) },
    isoMode: 0o644,
    secrets: [],
    manifest: {
      edgebuild: { version: '0.0.0' },
      buildKey: 'bench',
      canvos: { repo: 'bench', tag: 'bench', commit: 'bench', peVersion: null },
      target: '+iso',
      command: [],
      arg: {},
      userData: { sha256: sha256(userData), imageRedirectWebhook: false, isoPath: 'files-iso/config.yaml' },
      files: [],
      preflight: null,
      startedAt: new Date().toISOString(),
      finishedAt: new Date().toISOString(),
      durationMs: 0,
    },
  });
  return join(outDir, `${name}.iso`);
}
