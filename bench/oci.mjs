#!/usr/bin/env node
// `edgebuild push` and `edgebuild pull` of a published 1 GiB ISO (random bytes, not sparse) to and from
// a real distribution registry (Debian's docker-registry) on 127.0.0.1,
// side by side with the references in alternating rounds:
//   cp          a plain copy of the ISO on the same disk
//   curl PUT    the registry's own write: one monolithic upload of the ISO
//               blob by curl (POST, then PUT ?digest= streaming the file);
//               the registry hashes and stores it as it does for a push
//   curl GET    the registry's own read: the ISO blob into a file by curl
//   curl GET | sha256sum   the same, hashed on the way (what a pull must do)
// A push HEADs the blobs, then uploads the missing ones in 32 MiB PATCHes,
// hashing the ISO as it reads it; the registry copy is deleted between
// rounds so each push uploads the whole ISO. A pull streams every blob
// through sha256 into a private staging dir, then runs `edgebuild verify`
// on it (the .sha256, manifest.json and the embedded user-data; the ISO's
// hash is the one taken while streaming) before renaming it into --out. Peak RSS from /usr/bin/time.
//
//   npm run build && node bench/oci.mjs [rounds] [MiB]
import { execFileSync, spawn } from 'node:child_process';
import console from 'node:console';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { cli, median, publishIso, timed } from './helpers.mjs';

const rounds = Number(process.argv[2] ?? 5);
const mib = Number(process.argv[3] ?? 1024);
const dir = mkdtempSync(join(tmpdir(), 'edgebuild-bench-oci-'));
const USER_DATA = '#cloud-config\nstylus:\n  imageRedirectWebhook:\n    enable: false\n';

async function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startRegistry() {
  const port = await freePort();
  const storage = join(dir, 'storage');
  const config = join(dir, 'config.yml');
  writeFileSync(config, `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${storage}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n`);
  const child = spawn('/usr/bin/docker-registry', ['serve', config], { stdio: 'ignore' });
  for (let i = 0; i < 200; i++) {
    try {
      execFileSync('curl', ['-sf', '-o', '/dev/null', `http://127.0.0.1:${port}/v2/`]);
      return { host: `127.0.0.1:${port}`, storage, child };
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error('docker-registry did not start');
}

function makeIso() {
  const stage = join(dir, 'stage');
  mkdirSync(join(stage, 'files-iso'), { recursive: true });
  writeFileSync(join(stage, 'files-iso', 'config.yaml'), USER_DATA);
  const built = join(dir, 'built.iso');
  execFileSync('xorriso', ['-as', 'mkisofs', '-quiet', '-R', '-J', '-V', 'COS_LIVE', '-o', built, stage], { stdio: 'ignore' });
  // Random bytes after the image (ISO readers ignore them): real disk blocks, so cp copies every byte.
  execFileSync('sh', ['-c', 'head -c "$1" /dev/urandom >> "$2"', 'sh', String(mib * 2 ** 20 - statSync(built).size), built]);
  rmSync(stage, { recursive: true, force: true });
  return publishIso(built, join(dir, 'dist'), 'installer', USER_DATA);
}

const registry = await startRegistry();
try {
  const iso = await makeIso();
  const { sha256File } = await import(new URL('../dist/adapters/checksum.js', import.meta.url).href);
  const digest = `sha256:${(await sha256File(iso)).sha256}`;
  const base = `http://${registry.host}/v2/bench/installer`;
  const blobDir = join(registry.storage, 'docker/registry/v2/blobs/sha256', digest.slice(7, 9), digest.slice(7));
  // Forget the ISO blob so the next push uploads it in full (the registry's own cache included).
  const forget = () => {
    rmSync(blobDir, { recursive: true, force: true });
    rmSync(join(registry.storage, 'docker/registry/v2/repositories/bench/installer/_layers/sha256', digest.slice(7)), { recursive: true, force: true });
    execFileSync('sync');
  };
  const copy = join(dir, 'copy.iso');
  const out = join(dir, 'out');
  const got = join(dir, 'got.iso');
  const ref = `${registry.host}/bench/installer:v1`;
  const contenders = {
    cp: () => {
      rmSync(copy, { force: true });
      return timed(dir, 'cp', [iso, copy]);
    },
    'curl PUT': () => {
      forget();
      const location = execFileSync('curl', ['-sSf', '-X', 'POST', '-o', '/dev/null', '-w', '%header{location}', `${base}/blobs/uploads/`], { encoding: 'utf8' }).trim();
      const url = new URL(location, `http://${registry.host}`);
      url.searchParams.set('digest', digest);
      return timed(dir, 'curl', ['-sSf', '-X', 'PUT', '-H', 'Content-Type: application/octet-stream', '-T', iso, '-o', '/dev/null', url.href]);
    },
    'edgebuild push': () => {
      forget();
      return timed(dir, process.execPath, [cli, 'push', join(dir, 'dist'), '--to', ref, '--plain-http', '--json']);
    },
    'curl GET': () => {
      rmSync(got, { force: true });
      return timed(dir, 'curl', ['-sSf', '-o', got, `${base}/blobs/${digest}`]);
    },
    'curl GET | sha256sum': () => {
      rmSync(got, { force: true });
      return timed(dir, 'bash', ['-c', 'set -o pipefail; curl -sSf "$1" | tee "$2" | sha256sum > /dev/null', 'bash', `${base}/blobs/${digest}`, got]);
    },
    'edgebuild pull': () => {
      rmSync(out, { recursive: true, force: true });
      return timed(dir, process.execPath, [cli, 'pull', ref, '--out', out, '--plain-http', '--json']);
    },
  };
  // The registry must hold the artifact before the first pull.
  contenders['edgebuild push']();
  const results = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  for (let round = 0; round < rounds; round++) {
    for (const [name, run] of Object.entries(contenders)) results[name].push(run());
  }
  const wall = (name) => median(results[name].map((r) => r.wall));
  const rss = (name) => Math.max(...results[name].map((r) => r.rssKiB));
  console.log(`${rounds} rounds, ${mib} MiB ISO, load ${loadavg()[0].toFixed(2)}`);
  for (const name of Object.keys(contenders)) console.log(`${name.padEnd(21)} median ${wall(name).toFixed(2)}s  peak RSS ${(rss(name) / 1024).toFixed(0)} MiB`);
  console.log(`push / curl PUT        ${(wall('edgebuild push') / wall('curl PUT')).toFixed(2)}x`);
  console.log(`push / (cp + curl PUT) ${(wall('edgebuild push') / (wall('cp') + wall('curl PUT'))).toFixed(2)}x`);
  console.log(`pull / curl GET        ${(wall('edgebuild pull') / wall('curl GET')).toFixed(2)}x`);
  console.log(`pull / (cp + curl GET) ${(wall('edgebuild pull') / (wall('cp') + wall('curl GET'))).toFixed(2)}x`);
  console.log(`pull / curl GET | sha256sum ${(wall('edgebuild pull') / wall('curl GET | sha256sum')).toFixed(2)}x`);
} finally {
  registry.child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
