/**
 * The host adapter against the real machine, against real files shaped like
 * /proc and /sys (cgroup v1 and v2 trees), and inside real Docker containers
 * whose CPU and memory are limited by the engine's own cgroups.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cpuAndMemoryFacts, gitFacts, pathSpace } from '../../src/adapters/host.js';
import { describeDocker, testImage } from './dockerGuard.js';

const GiB = 1024 ** 3;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgebuild-host-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('this machine', () => {
  test('CPUs: affinity as nproc counts it, availableParallelism, and a quota only when one is set', async () => {
    const { cpus, memory } = await cpuAndMemoryFacts();
    expect(cpus.available).toBe(availableParallelism());
    expect(cpus.affinity).toBe(Number(execFileSync('nproc', { encoding: 'utf8', env: { PATH: process.env.PATH } }).trim()));
    if (cpus.quota !== undefined) expect(cpus.quota).toBeGreaterThan(0);
    const memTotal = Number(/^MemTotal:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))![1]) * 1024;
    expect(memory.totalBytes).toBe(totalmem());
    expect(memory.totalBytes).toBe(memTotal);
  });

  test('git: the version git --version prints; missing git is said so', async () => {
    const printed = execFileSync('git', ['--version'], { encoding: 'utf8' }).trim();
    const facts = await gitFacts();
    expect('version' in facts && `git version ${facts.version}`).toBe(printed);
    expect(await gitFacts({ env: { PATH: dir } })).toEqual({ error: 'git is not installed or not on PATH' });
  });

  test('free space as df counts it, and the filesystem identity stat reports', async () => {
    const space = await pathSpace(dir, 'work dir');
    const [, avail] = execFileSync('df', ['-B1', '--output=avail', dir], { encoding: 'utf8' }).trim().split('\n');
    // Other processes write meanwhile: the two readings agree to within 256 MiB.
    expect(Math.abs(space.freeBytes! - Number(avail))).toBeLessThan(256 * 1024 ** 2);
    expect(space.device).toBe(execFileSync('stat', ['-c', '%d', dir], { encoding: 'utf8' }).trim());
  });

  test('a work dir that does not exist yet is measured on its nearest existing parent', async () => {
    const parent = await pathSpace(dir, 'work dir');
    const missing = await pathSpace(join(dir, 'not', 'yet', '.edgebuild'), 'work dir');
    expect(missing.device).toBe(parent.device);
    expect(missing.path).toBe(join(dir, 'not', 'yet', '.edgebuild'));
    expect(missing.unknown).toBeUndefined();
  });

  test("Docker's data root must exist: a missing one is reported, not guessed from a parent", async () => {
    const space = await pathSpace(join(dir, 'var-lib-docker'), 'Docker data root', { mustExist: true });
    expect(space.freeBytes).toBeUndefined();
    expect(space.unknown).toMatch(/does not exist on this host/);
  });

  test('two filesystems have two identities; two paths on one have one', async () => {
    mkdirSync(join(dir, 'a'));
    const [work, same, proc] = await Promise.all([pathSpace(dir, 'work dir'), pathSpace(join(dir, 'a'), 'Docker data root'), pathSpace('/proc', 'Docker data root')]);
    expect(same.device).toBe(work.device);
    expect(proc.device).not.toBe(work.device);
  });
});

/** Writes a fake /proc/self + /sys/fs/cgroup tree under `root`. */
function fakeTree(root: string, files: Record<string, string>): string {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

describe('cgroup trees as files (the kernel is not asked; the paths and walks are)', () => {
  test('cgroup v2: the tightest limit on the way up binds (memory on the parent, CPU on the leaf)', async () => {
    const root = fakeTree(join(dir, 'v2'), {
      'proc/self/cgroup': '0::/ci.slice/job-7.scope\n',
      'proc/self/mountinfo': '30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n',
      'proc/self/status': 'Cpus_allowed_list:\t0-7\n',
      'sys/fs/cgroup/cpu.max': 'max 100000\n',
      'sys/fs/cgroup/memory.max': 'max\n',
      'sys/fs/cgroup/ci.slice/cpu.max': 'max 100000\n',
      'sys/fs/cgroup/ci.slice/memory.max': `${4 * GiB}\n`,
      'sys/fs/cgroup/ci.slice/job-7.scope/cpu.max': '150000 100000\n',
      'sys/fs/cgroup/ci.slice/job-7.scope/memory.max': `${16 * GiB}\n`,
    });
    const facts = await cpuAndMemoryFacts({ prefix: root });
    expect(facts.cpus).toMatchObject({ affinity: 8, quota: 1.5 });
    expect(facts.memory.cgroupLimitBytes).toBe(4 * GiB);
  });

  test('cgroup v1: cfs quota and memory.limit_in_bytes; "unlimited" sentinels are no limit', async () => {
    const root = fakeTree(join(dir, 'v1'), {
      'proc/self/cgroup': '4:memory:/docker/abc\n2:cpu,cpuacct:/docker/abc\n',
      'proc/self/mountinfo': [
        '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct',
        '35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory',
        '',
      ].join('\n'),
      'proc/self/status': 'Cpus_allowed_list:\t0-3\n',
      'sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us': '-1\n',
      'sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us': '100000\n',
      'sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us': '200000\n',
      'sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us': '100000\n',
      'sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712\n',
      'sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes': '9223372036854771712\n',
    });
    const facts = await cpuAndMemoryFacts({ prefix: root });
    expect(facts.cpus).toMatchObject({ affinity: 4, quota: 2 });
    expect(facts.memory.cgroupLimitBytes).toBeUndefined();
  });
});

/**
 * Node from this machine, run inside a container from the test image with
 * the host's /usr and the repository mounted read-only: the container's own
 * /proc and /sys, so the engine's cgroup (v1 or v2) and cpuset are real.
 */
function inContainer(limits: string[], script: string): string {
  const node = realpathSync(process.execPath);
  const mounts = ['/usr', '/lib', '/lib64', dirname(dirname(node)), process.cwd()]
    .filter((p, i, all) => all.indexOf(p) === i)
    .filter((p) => {
      try {
        return realpathSync(p) !== undefined;
      } catch {
        return false;
      }
    })
    .flatMap((p) => ['-v', `${realpathSync(p)}:${p}:ro`]);
  return execFileSync('docker', ['run', '--rm', '--network', 'none', ...limits, ...mounts, '--workdir', process.cwd(), '--entrypoint', node, testImage, '--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: process.env,
  });
}

describeDocker('inside a container the engine limits', () => {
  // The built adapter (npm test builds dist/ first).
  const script = `import { cpuAndMemoryFacts } from '${join(process.cwd(), 'dist/adapters/host.js')}';
console.log(JSON.stringify(await cpuAndMemoryFacts()));`;

  test('--cpus 1.5 --cpuset-cpus 0 --memory 3g: quota 1.5, affinity 1, memory 3 GiB', () => {
    const facts = JSON.parse(inContainer(['--cpus', '1.5', '--cpuset-cpus', '0', '--memory', '3g'], script)) as Awaited<ReturnType<typeof cpuAndMemoryFacts>>;
    expect(facts.cpus).toMatchObject({ affinity: 1, available: 1, quota: 1.5 });
    expect(facts.memory.cgroupLimitBytes).toBe(3 * GiB);
  });

  test('no limits: no quota, no memory limit', () => {
    const facts = JSON.parse(inContainer([], script)) as Awaited<ReturnType<typeof cpuAndMemoryFacts>>;
    expect(facts.cpus.quota).toBeUndefined();
    expect(facts.memory.cgroupLimitBytes).toBeUndefined();
  });
});
