#!/usr/bin/env node
// An up-to-date rerun of `edgebuild iso` (goal: under 2 s wall), side by
// side with `edgebuild --version` (Node.js start plus the CLI): each round
// runs both, in turn. The first build needs a Docker engine (DOCKER_HOST);
// the reruns get DOCKER_HOST pointing nowhere, so a rerun that touched
// Docker would fail instead of being timed.
//
//   eval "$(test/setup/docker-engine.sh start)"; npm run build && node bench/upToDate.mjs [rounds]
import { execFileSync, spawnSync } from 'node:child_process';
import console from 'node:console';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { performance } from 'node:perf_hooks';
import { URL, fileURLToPath } from 'node:url';

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
const git = (cwd, ...args) => execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', '-c', 'init.defaultBranch=main', ...args], { cwd, stdio: 'ignore' });

try {
  const work = join(dir, 'work');
  mkdirSync(work);
  git(work, 'init', '-q');
  writeFileSync(join(work, 'Earthfile'), 'VERSION 0.6\nARG PE_VERSION=v4.9.38\n');
  writeFileSync(join(work, 'earthly.sh'), EARTHLY_SH);
  chmodSync(join(work, 'earthly.sh'), 0o755);
  git(work, 'add', '-A');
  git(work, 'commit', '-q', '-m', 'release');
  git(work, 'tag', '-a', 'v4.9.38', '-m', 'v4.9.38');
  git(dir, 'clone', '-q', '--bare', work, join(dir, 'CanvOS.git'));
  writeFileSync(join(dir, 'user-data.yaml'), '#cloud-config\nstylus:\n  site:\n    paletteEndpoint: api.example.invalid\n');
  const args = [cli, 'iso', '--repo', join(dir, 'CanvOS.git'), '--tag', 'v4.9.38', '--user-data', join(dir, 'user-data.yaml'), '--out', join(dir, 'dist'), '--work-dir', join(dir, 'wd'), '--cache-dir', join(dir, 'cache'), '--skip-check', 'cpu,memory,disk,privileged', '--json'];

  const first = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8' });
  if (first.status !== 0 || JSON.parse(first.stdout).status !== 'built') throw new Error(`first build failed (is DOCKER_HOST set?):\n${first.stderr}`);

  const noDocker = { ...process.env, DOCKER_HOST: 'unix:///nonexistent/docker.sock' };
  const run = (argv) => {
    const start = performance.now();
    const r = spawnSync(process.execPath, argv, { cwd: dir, env: noDocker, encoding: 'utf8' });
    const ms = performance.now() - start;
    if (r.status !== 0) throw new Error(`${argv.slice(1, 3).join(' ')} exited ${r.status}: ${r.stderr}`);
    return { ms, stdout: r.stdout };
  };
  const reruns = [];
  const versions = [];
  for (let i = 0; i < rounds; i++) {
    const r = run(args);
    if (JSON.parse(r.stdout).status !== 'up-to-date') throw new Error(`rerun was not up to date: ${r.stdout}`);
    reruns.push(r.ms);
    versions.push(run([cli, '--version']).ms);
  }
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    const mid = s.length >> 1;
    return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  };
  const max = (xs) => Math.max(...xs);
  console.log(`Node.js ${process.version}, ${process.platform}/${process.arch}, ${rounds} alternating rounds, Docker unreachable for the reruns\n`);
  console.log('| command | median wall | slowest |');
  console.log('| --- | ---: | ---: |');
  console.log(`| \`edgebuild --version\` | ${median(versions).toFixed(0)} ms | ${max(versions).toFixed(0)} ms |`);
  console.log(`| \`edgebuild iso\` (up to date) | ${median(reruns).toFixed(0)} ms | ${max(reruns).toFixed(0)} ms |`);
  console.log(`\ngoal: under 2000 ms; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
