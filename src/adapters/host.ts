/**
 * Facts about the build host: platform, the CPUs and memory this process may
 * really use (affinity and cgroup limits count, not only the machine's size),
 * free space per filesystem and the git version. Reads only; judging is
 * src/core/preflight/checks.ts.
 */
import { readFile, stat, statfs } from 'node:fs/promises';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import { affinityFromStatus, ancestors, cgroupDirs, cpuQuotaV1, cpuQuotaV2, memoryLimit } from '../core/preflight/hostLimits.js';
import type { CpuFacts, GitFacts, HostFacts, MemoryFacts, PathSpace } from '../core/preflight/facts.js';

const GIT_TIMEOUT_MS = 10_000;

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined; // not Linux, no such controller, or not readable: no limit known
  }
}

function min(values: (number | undefined)[]): number | undefined {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length ? Math.min(...known) : undefined;
}

/** Where the limits of this process's cgroups are: '/' is the real root; tests pass a fake one. */
export interface ProcRoot {
  /** Prefix for /proc and /sys paths (default ''). */
  prefix?: string;
}

async function limitsAlong(dir: string | undefined, root: string | undefined, prefix: string, read: (dir: string) => Promise<number | undefined>): Promise<number | undefined> {
  if (!dir || !root) return undefined;
  return min(await Promise.all(ancestors(dir, root).map((d) => read(prefix + d))));
}

async function cgroupLimits(prefix: string): Promise<{ quota?: number | undefined; memory?: number | undefined }> {
  const [procCgroup, mountinfo] = await Promise.all([readText(`${prefix}/proc/self/cgroup`), readText(`${prefix}/proc/self/mountinfo`)]);
  if (procCgroup === undefined || mountinfo === undefined) return {};
  const dirs = cgroupDirs(procCgroup, mountinfo);
  const text = readText;
  const [v2Quota, v2Memory, v1Quota, v1Memory] = await Promise.all([
    limitsAlong(dirs.v2, dirs.v2 && dirs.roots[dirs.v2], prefix, async (d) => {
      const t = await text(`${d}/cpu.max`);
      return t === undefined ? undefined : cpuQuotaV2(t);
    }),
    limitsAlong(dirs.v2, dirs.v2 && dirs.roots[dirs.v2], prefix, async (d) => {
      const t = await text(`${d}/memory.max`);
      return t === undefined ? undefined : memoryLimit(t);
    }),
    limitsAlong(dirs.cpu, dirs.cpu && dirs.roots[dirs.cpu], prefix, async (d) => {
      const [quota, period] = await Promise.all([text(`${d}/cpu.cfs_quota_us`), text(`${d}/cpu.cfs_period_us`)]);
      return quota === undefined || period === undefined ? undefined : cpuQuotaV1(quota, period);
    }),
    limitsAlong(dirs.memory, dirs.memory && dirs.roots[dirs.memory], prefix, async (d) => {
      const t = await text(`${d}/memory.limit_in_bytes`);
      return t === undefined ? undefined : memoryLimit(t);
    }),
  ]);
  return { quota: min([v2Quota, v1Quota]), memory: min([v2Memory, v1Memory]) };
}

export async function cpuAndMemoryFacts(root: ProcRoot = {}): Promise<{ cpus: CpuFacts; memory: MemoryFacts }> {
  const prefix = root.prefix ?? '';
  const [status, limits] = await Promise.all([readText(`${prefix}/proc/self/status`), cgroupLimits(prefix)]);
  return {
    cpus: {
      host: cpus().length || availableParallelism(),
      available: availableParallelism(),
      affinity: status === undefined ? undefined : affinityFromStatus(status),
      quota: limits.quota,
    },
    memory: { totalBytes: totalmem(), cgroupLimitBytes: limits.memory },
  };
}

export interface HostOptions {
  signal?: AbortSignal | undefined;
  /** The environment git is looked up in (PATH); default: this process's. */
  env?: Record<string, string | undefined> | undefined;
}

export async function gitFacts({ signal, env }: HostOptions = {}): Promise<GitFacts> {
  try {
    const { execa } = await import('execa'); // loaded by preflight only, not by every module importing host.ts
    const { stdout } = await execa('git', ['--version'], {
      timeout: GIT_TIMEOUT_MS,
      ...(signal ? { cancelSignal: signal } : {}),
      ...(env ? { env, extendEnv: false } : {}),
    });
    const version = /git version (\S+)/.exec(stdout)?.[1];
    return version ? { version } : { error: `unexpected output of git --version: ${stdout.trim()}` };
  } catch (error) {
    const e = error as { code?: string; shortMessage?: string; message?: string };
    if (e.code === 'ENOENT') return { error: 'git is not installed or not on PATH' };
    return { error: e.shortMessage ?? e.message ?? String(error) };
  }
}

export async function hostFacts(options: HostOptions = {}): Promise<HostFacts> {
  const [limits, git] = await Promise.all([cpuAndMemoryFacts(), gitFacts(options)]);
  return { platform: process.platform, arch: process.arch, ...limits, git };
}

/** The path itself, or its nearest existing ancestor: the work dir may not exist yet. */
async function existing(path: string): Promise<string> {
  let current = resolve(path);
  for (;;) {
    try {
      await stat(current);
      return current;
    } catch (error) {
      const parent = dirname(current);
      if ((error as { code?: string }).code !== 'ENOENT' || parent === current) throw error;
      current = parent;
    }
  }
}

/**
 * Free bytes for an unprivileged user (bavail) and the filesystem's identity
 * (st_dev). A work dir that does not exist yet is measured at its nearest
 * existing parent; with `mustExist` (Docker's data root) a missing path is
 * reported, not guessed at: the engine may run in a VM with its own disks.
 */
export async function pathSpace(path: string, role: PathSpace['role'], options: { mustExist?: boolean } = {}): Promise<PathSpace> {
  try {
    const real = options.mustExist ? path : await existing(path);
    const [fs, st] = await Promise.all([statfs(real), stat(real, { bigint: true })]);
    return { role, path, device: st.dev.toString(), freeBytes: fs.bavail * fs.bsize };
  } catch (error) {
    if (options.mustExist && (error as { code?: string }).code === 'ENOENT') {
      return { role, path, unknown: 'the path does not exist on this host (the engine runs in a VM or another mount namespace?)' };
    }
    return { role, path, unknown: `cannot read its free space: ${(error as Error).message}` };
  }
}
