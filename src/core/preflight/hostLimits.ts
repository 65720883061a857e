/**
 * Parsers for the Linux files that limit what one process may use: the CPU
 * affinity list in /proc/self/status, cgroup v2 `cpu.max` / `memory.max`,
 * cgroup v1 `cpu.cfs_quota_us` / `memory.limit_in_bytes`, and where each
 * controller's cgroup directory is (/proc/self/cgroup + /proc/self/mountinfo).
 * Pure: the host adapter reads the files, these read the text.
 */
import { posix } from 'node:path';

/** Number of CPUs in a list such as `0-3,8,10-11`; undefined when unreadable. */
export function countCpuList(list: string): number | undefined {
  const text = list.trim();
  if (!text) return undefined;
  let count = 0;
  for (const part of text.split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!match) return undefined;
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    if (to < from) return undefined;
    count += to - from + 1;
  }
  return count;
}

/** `Cpus_allowed_list:` from /proc/self/status: the scheduler affinity. */
export function affinityFromStatus(status: string): number | undefined {
  const line = /^Cpus_allowed_list:\s*(.+)$/m.exec(status);
  return line ? countCpuList(line[1]!) : undefined;
}

/** cgroup v2 `cpu.max` ("max 100000" or "150000 100000") as a number of CPUs; undefined = no quota. */
export function cpuQuotaV2(cpuMax: string): number | undefined {
  const [quota, period] = cpuMax.trim().split(/\s+/);
  if (!quota || quota === 'max') return undefined;
  return quotaCpus(Number(quota), Number(period ?? 100_000));
}

/** cgroup v1 `cpu.cfs_quota_us` (-1 = no quota) and `cpu.cfs_period_us`. */
export function cpuQuotaV1(quotaUs: string, periodUs: string): number | undefined {
  return quotaCpus(Number(quotaUs.trim()), Number(periodUs.trim()));
}

function quotaCpus(quota: number, period: number): number | undefined {
  if (!Number.isFinite(quota) || !Number.isFinite(period) || quota <= 0 || period <= 0) return undefined;
  return quota / period;
}

/**
 * Memory limits at or above 2^60 bytes mean "no limit": cgroup v1 writes
 * PAGE_COUNTER_MAX × page size (9223372036854771712 with 4 KiB pages).
 */
const NO_LIMIT = 2 ** 60;

/** cgroup v2 `memory.max` or v1 `memory.limit_in_bytes`; undefined = no limit. */
export function memoryLimit(text: string): number | undefined {
  const value = text.trim();
  if (!value || value === 'max') return undefined;
  const bytes = Number(value);
  return Number.isFinite(bytes) && bytes > 0 && bytes < NO_LIMIT ? bytes : undefined;
}

export interface CgroupDirs {
  /** cgroup v2 directory of this process (unified hierarchy), when mounted. */
  v2?: string;
  /** cgroup v1 directories of this process's `cpu` and `memory` controllers. */
  cpu?: string;
  memory?: string;
  /** Mount points: limits are read from each directory up to its mount point. */
  roots: Record<string, string>;
}

interface Mount {
  root: string;
  point: string;
  fstype: string;
  superOptions: string[];
}

function parseMountinfo(mountinfo: string): Mount[] {
  const mounts: Mount[] = [];
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const fields = left.split(' ');
    const [fstype, , superOptions] = right.split(' ');
    if (!fields[3] || !fields[4] || !fstype) continue;
    mounts.push({ root: unescape(fields[3]), point: unescape(fields[4]), fstype, superOptions: (superOptions ?? '').split(',') });
  }
  return mounts;
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/**
 * The directory of this process's cgroup under the mount: inside a container
 * with a cgroup namespace the mount's root already is our cgroup.
 */
function dirUnder(mount: Mount, cgroupPath: string): string {
  const root = mount.root === '/' ? '' : mount.root;
  const relative = root && (cgroupPath === root || cgroupPath.startsWith(`${root}/`)) ? cgroupPath.slice(root.length) : root ? '' : cgroupPath;
  return relative && relative !== '/' ? posix.join(mount.point, relative) : mount.point;
}

/** Where this process's cgroup limits live, from /proc/self/cgroup and /proc/self/mountinfo. */
export function cgroupDirs(procCgroup: string, mountinfo: string): CgroupDirs {
  const mounts = parseMountinfo(mountinfo);
  const dirs: CgroupDirs = { roots: {} };
  for (const line of procCgroup.split('\n')) {
    const match = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!match) continue;
    const [, id, controllers, path] = match as unknown as [string, string, string, string];
    if (id === '0' && controllers === '') {
      const mount = mounts.find((m) => m.fstype === 'cgroup2');
      if (mount) {
        dirs.v2 = dirUnder(mount, path);
        dirs.roots[dirs.v2] = mount.point;
      }
      continue;
    }
    for (const controller of ['cpu', 'memory'] as const) {
      if (!controllers.split(',').includes(controller)) continue;
      const mount = mounts.find((m) => m.fstype === 'cgroup' && m.superOptions.includes(controller));
      if (!mount) continue;
      const dir = dirUnder(mount, path);
      dirs[controller] = dir;
      dirs.roots[dir] = mount.point;
    }
  }
  return dirs;
}

/** `dir` and its ancestors up to and including `root`: a parent's limit binds its children. */
export function ancestors(dir: string, root: string): string[] {
  const out: string[] = [];
  let current = posix.normalize(dir);
  const stop = posix.normalize(root);
  for (;;) {
    out.push(current);
    if (current === stop || current === '/' || !current.startsWith(stop)) break;
    current = posix.dirname(current);
  }
  return out;
}
