/**
 * Shared pieces of the end-to-end `edgebuild iso` tests: the fixture
 * repository with one tag per earthly.sh mode, a user-data with a secret,
 * and the CLI run as a subprocess.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createCanvosRepo, type FixtureRepo } from '../fixtures/canvosRepo.js';
import { BUILD_TAGS, buildFixtureTags } from '../fixtures/earthlyScript.js';

export const CLI = resolve(import.meta.dirname, '../../dist/cli/main.js');
export const SECRET = 'tok-5ecret-9f8e7d6c5b';
export const PROXY_PASSWORD = 'pr0xy-pa55w0rd';
export const SKIP = 'cpu,memory,disk,privileged';
export const EARTHLY_IMAGE = 'edgebuild-test/earthly/earthly:fixture';

export const USER_DATA = `#cloud-config
stylus:
  site:
    edgeHostToken: \${env:EDGE_TOKEN}
    paletteEndpoint: api.example.invalid
  imageRedirectWebhook:
    enable: true
`;

export interface Workspace {
  root: string;
  repo: FixtureRepo;
  userData: string;
  /** A build config setting a proxy with credentials (given in a file, as a user would). */
  proxyConfig: string;
  cache: string;
  cleanup(): void;
}

export function makeWorkspace(): Workspace {
  const root = mkdtempSync(join(tmpdir(), 'edgebuild-e2e-'));
  const repo = createCanvosRepo(buildFixtureTags(), join(root, 'origin'));
  const userData = join(root, 'user-data.yaml');
  writeFileSync(userData, USER_DATA);
  const proxyConfig = join(root, 'proxy.yaml');
  writeFileSync(proxyConfig, `arg:\n  HTTPS_PROXY: http://bob:${PROXY_PASSWORD}@127.0.0.1:9\n`);
  const cache = join(root, 'cache');
  mkdirSync(cache);
  return { root, repo, userData, proxyConfig, cache, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export interface RunOutput {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function isoArgs(ws: Workspace, name: string, tag: string, extra: string[] = []): string[] {
  return [
    CLI,
    'iso',
    '--repo',
    ws.repo.path,
    '--tag',
    tag,
    '--user-data',
    ws.userData,
    '--out',
    join(ws.root, name, 'dist'),
    '--work-dir',
    join(ws.root, name, 'work'),
    '--cache-dir',
    ws.cache,
    '--skip-check',
    SKIP,
    ...extra,
  ];
}

export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, EDGE_TOKEN: SECRET, EDGEBUILD_FIXTURE_EARTHLY_IMAGE: EARTHLY_IMAGE, EDGEBUILD_KILL_GRACE_MS: '1000', CI: 'true', GITHUB_ACTIONS: '', ...extra };
}

export async function runCli(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<RunOutput> {
  const started = Date.now();
  return new Promise((done) => {
    execFile(process.execPath, args, { env, cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? ((error as { code?: number }).code ?? null) : 0;
      done({ code: typeof code === 'number' ? code : null, stdout, stderr, ms: Date.now() - started });
    });
  });
}

const running = new Set<ChildProcess>();

/** Kills edgebuild processes a failed test left running (their build containers go in the next beforeAll). */
export function killSpawned(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

export function spawnCli(args: string[], env: NodeJS.ProcessEnv, cwd: string): { child: ChildProcess; output: () => { stdout: string; stderr: string }; exit: Promise<number | null> } {
  const child = spawn(process.execPath, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.on('exit', () => running.delete(child));
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return { child, output: () => ({ stdout, stderr }), exit };
}

export const exec = promisify(execFile);

/** Every file under `dir` (relative paths), for "nothing left behind" checks. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    let entries: string[];
    try {
      entries = readdirSync(d);
    } catch {
      return;
    }
    for (const e of entries) {
      const full = join(d, e);
      const r = rel ? `${rel}/${e}` : e;
      if (statSync(full, { throwIfNoEntry: false })?.isDirectory()) walk(full, r);
      else out.push(r);
    }
  };
  walk(dir, '');
  return out;
}

/** Fields 3 on of /proc/<pid>/stat (read here, not with the code under test); undefined once it is gone. */
function statOf(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** The process group of `pid` (field 5 of /proc/<pid>/stat); undefined once it is gone. */
export function groupOf(pid: number | string): number | undefined {
  const fields = statOf(pid);
  return fields ? Number(fields[2]) : undefined;
}

/** Processes whose process group is `pgid`, zombies included (as kill(-pgid, 0) sees them). */
export function processesInGroup(pgid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && groupOf(entry) === pgid)
    .map(Number);
}

/**
 * Those of processesInGroup() still running: a zombie (state Z) has exited
 * and holds nothing. An orphan's zombie waits for init to reap it, which
 * some inits (this sandbox's) do up to a second late.
 */
export function runningInGroup(pgid: number): number[] {
  return processesInGroup(pgid).filter((pid) => statOf(pid)?.[0] !== 'Z');
}

/**
 * `pid` is still running: it answers kill(pid, 0) and is not a zombie. A
 * killed orphan stays a zombie until init reaps it, which this sandbox's
 * init does up to a second late; a zombie has exited and holds nothing.
 */
export function stillRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const state = statOf(pid)?.[0];
  return state !== undefined && state !== 'Z';
}

/** All command lines of running processes containing `needle`. */
export function cmdlinesContaining(needle: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(needle)) found.push(`${entry}: ${cmd}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

export async function containerNames(): Promise<string[]> {
  const { stdout } = await exec('docker', ['ps', '-a', '--format', '{{.Names}} {{.Image}}']);
  return stdout.split('\n').filter(Boolean);
}

export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Running containers of the fixture builds: `earthly-buildkitd` and those of the Earthly image (full IDs). */
export async function buildContainers(): Promise<{ id: string; name: string; image: string }[]> {
  const { stdout } = await exec('docker', ['ps', '--no-trunc', '--format', '{{.ID}} {{.Names}} {{.Image}}']);
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id, name, image] = line.split(' ') as [string, string, string];
      return { id, name, image };
    })
    .filter((c) => c.name === 'earthly-buildkitd' || c.image === EARTHLY_IMAGE);
}

/** Those of `ids` that still exist on the engine, running or not. */
export async function existingContainers(ids: string[]): Promise<string[]> {
  const { stdout } = await exec('docker', ['ps', '-a', '-q', '--no-trunc']);
  return ids.filter((id) => stdout.split('\n').includes(id));
}

/** Starts the slow build in work dir `name`; resolves once earthly.sh runs both of its containers. */
export async function startSlowBuild(ws: Workspace, name: string, extra: string[] = []) {
  const run = spawnCli(isoArgs(ws, name, BUILD_TAGS.slow, extra), cliEnv(), ws.root);
  const containers = await waitFor('the slow build to start its containers', async () => {
    const found = await buildContainers();
    return found.some((c) => c.name === 'earthly-buildkitd') && found.some((c) => c.image === EARTHLY_IMAGE) ? found : undefined;
  });
  const earthly = await waitFor('earthly.sh', () => cmdlinesContaining('./earthly.sh +iso')[0]);
  return { run, group: groupOf(earthly.split(':')[0]!)!, containers: containers.map((c) => c.id) };
}
