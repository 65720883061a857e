#!/usr/bin/env node
// An up-to-date rerun of `edgebuild iso` against `node -e 0` (the reference:
// a bare Node.js start), in the same rounds, alternating order; goal: at most
// 2.5x. A second variant's build config copies a 1 GiB folder (one sparse
// file) into the checkout with `files:`: its rerun must not hash it again
// (content-hash cache in --cache-dir). The first builds need a Docker
// engine (DOCKER_HOST); the reruns get DOCKER_HOST pointing nowhere, so a
// rerun that touched Docker would fail instead of being timed. A rerun loads
// the config and user-data, asks the remote (a local path) where the tag
// points (`git ls-remote`), reads the tag's files from the cached mirror
// (`git cat-file --batch`), plans, hashes the inputs into the build key and
// reads manifest.json and the artifacts' sizes.
//
//   eval "$(test/setup/docker-engine.sh start)"; npm run build && node bench/upToDate.mjs [rounds=10] [--before <dir>]
import { execFileSync, spawnSync } from 'node:child_process';
import console from 'node:console';
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { URL, fileURLToPath, pathToFileURL } from 'node:url';
import { makeCanvosRepo } from './lib/canvosRepo.mjs';
import { alternate, beforeCli, printTable, timed } from './lib/measure.mjs';

const before = beforeCli();
const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const rounds = Number(process.argv[2] ?? 10);
const dir = mkdtempSync(join(tmpdir(), 'edgebuild-bench-uptodate-'));

// A minimal CanvOS-like repository: earthly.sh sources .arg and writes a real ISO.
const EARTHLY_SH = `#!/usr/bin/env bash
source .arg
mkdir -p stage/files-iso build
cp user-data stage/files-iso/config.yaml
xorriso -as mkisofs -quiet -V BENCH -J -R -o "build/$ISO_NAME.iso" stage
(cd build && sha256sum "$ISO_NAME.iso" > "$ISO_NAME.iso.sha256")
`;

try {
  const repo = makeCanvosRepo(dir, { files: { 'earthly.sh': EARTHLY_SH } });
  writeFileSync(join(dir, 'user-data.yaml'), '#cloud-config\nstylus:\n  site:\n    paletteEndpoint: api.example.invalid\n');
  mkdirSync(join(dir, 'content'));
  writeFileSync(join(dir, 'content', 'bundle.tar'), '');
  truncateSync(join(dir, 'content', 'bundle.tar'), 2 ** 30); // 1 GiB, sparse: the hash costs what it would for any bytes
  writeFileSync(join(dir, 'files.yaml'), 'files:\n  - from: content\n    to: content\n');
  const args = (name, extra = []) => ['iso', '--repo', repo, '--tag', 'v4.9.38', '--user-data', join(dir, 'user-data.yaml'), '--out', join(dir, name), '--work-dir', join(dir, `wd-${name}`), '--cache-dir', join(dir, 'cache'), '--skip-check', 'cpu,memory,disk,privileged', '--json', ...extra];
  const plain = args('dist');
  const withFiles = args('dist-files', ['--config', join(dir, 'files.yaml')]);
  for (const a of [plain, withFiles]) {
    const first = spawnSync(process.execPath, [cli, ...a], { cwd: dir, encoding: 'utf8' });
    if (first.status !== 0 || JSON.parse(first.stdout).status !== 'built') throw new Error(`first build failed (is DOCKER_HOST set?):\n${first.stderr}`);
  }
  rmSync(join(dir, 'wd-dist-files'), { recursive: true, force: true }); // the checkout's 1 GiB copy is not needed again

  const noDocker = { ...process.env, DOCKER_HOST: 'unix:///nonexistent/docker.sock' };
  const rerun = (main, a) => () => {
    const r = timed([process.execPath, main, ...a], { cwd: dir, env: noDocker });
    if (JSON.parse(r.stdout).status !== 'up-to-date') throw new Error(`rerun was not up to date: ${r.stdout}`);
    return r;
  };
  const mirror = execFileSync('sh', ['-c', `ls -d ${join(dir, 'cache', 'git')}/*.git | head -1`], { encoding: 'utf8' }).trim();
  const floor = fileURLToPath(new URL('./lib/upToDateFloor.mjs', import.meta.url));
  const floorArgs = [mirror, pathToFileURL(repo).href, 'v4.9.38', join(dir, 'user-data.yaml'), join(dir, 'dist')];
  const variants = {
    'node -e 0': () => timed([process.execPath, '-e', '0']),
    'floor: the same git, file reads and hashes in a bare Node.js script': () => timed([process.execPath, floor, ...floorArgs]),
    'floor and the YAML parse of the user-data (yaml package)': () => timed([process.execPath, floor, ...floorArgs, '--yaml']),
  };
  for (const [label, main] of [['', cli], [' (before)', before]]) {
    if (!main) continue;
    variants[`edgebuild iso, up to date${label}`] = rerun(main, plain);
    variants[`edgebuild iso, up to date, 1 GiB in files:${label}`] = rerun(main, withFiles);
  }
  variants['edgebuild --version'] = () => timed([process.execPath, cli, '--version']);
  const samples = alternate(rounds, variants);
  console.log(`Node.js ${process.version}, ${process.platform}/${process.arch}, ${rounds} alternating rounds, Docker unreachable for the reruns, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
  printTable(samples, 'node -e 0', Object.fromEntries(Object.keys(variants).map((k) => [k, `\`${k}\``])));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
