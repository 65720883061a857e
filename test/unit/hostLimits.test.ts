import { describe, expect, test } from 'vitest';
import { affinityFromStatus, ancestors, cgroupDirs, countCpuList, cpuQuotaV1, cpuQuotaV2, memoryLimit } from '../../src/core/preflight/hostLimits.js';

describe('countCpuList', () => {
  test.each([
    ['0', 1],
    ['0-3', 4],
    ['0-1', 2],
    ['0-3,8,10-11', 7],
    ['5', 1],
    ['0-63', 64],
    [' 0-1\n', 2],
    ['', undefined],
    ['3-1', undefined],
    ['0-x', undefined],
  ] as const)('%j → %s', (list, count) => {
    expect(countCpuList(list)).toBe(count);
  });
});

describe('affinityFromStatus', () => {
  test('reads Cpus_allowed_list, not the Cpus_allowed mask', () => {
    const status = 'Name:\tnode\nCpus_allowed:\tff\nCpus_allowed_list:\t2-3\nMems_allowed_list:\t0\n';
    expect(affinityFromStatus(status)).toBe(2);
  });
  test('no such line → unknown', () => {
    expect(affinityFromStatus('Name:\tnode\n')).toBeUndefined();
  });
});

describe('cpu quota', () => {
  test.each([
    ['max 100000', undefined],
    ['max', undefined],
    ['150000 100000', 1.5],
    ['400000 100000', 4],
    ['50000 50000', 1],
    ['200000', 2], // period defaults to 100000
  ] as const)('v2 cpu.max %j → %s CPUs', (text, cpus) => {
    expect(cpuQuotaV2(text)).toBe(cpus);
  });

  test.each([
    ['-1', '100000', undefined],
    ['200000', '100000', 2],
    ['350000\n', '100000\n', 3.5],
    ['0', '100000', undefined],
  ] as const)('v1 cfs_quota_us %j / period %j → %s', (quota, period, cpus) => {
    expect(cpuQuotaV1(quota, period)).toBe(cpus);
  });
});

describe('memoryLimit', () => {
  test.each([
    ['max\n', undefined],
    ['9223372036854771712\n', undefined], // cgroup v1 "unlimited" with 4 KiB pages
    ['9223372036854775807', undefined],
    ['4294967296\n', 4 * 1024 ** 3],
    ['8589934592', 8 * 1024 ** 3],
    ['', undefined],
    ['garbage', undefined],
  ] as const)('%j → %s', (text, bytes) => {
    expect(memoryLimit(text)).toBe(bytes);
  });
});

const V1_MOUNTS = [
  '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct',
  '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
  '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
].join('\n');

describe('cgroupDirs', () => {
  test('cgroup v2 only: the unified directory of this process', () => {
    const dirs = cgroupDirs('0::/user.slice/user-1000.slice/session-3.scope\n', '30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n');
    expect(dirs.v2).toBe('/sys/fs/cgroup/user.slice/user-1000.slice/session-3.scope');
    expect(dirs.roots[dirs.v2!]).toBe('/sys/fs/cgroup');
    expect(dirs.cpu).toBeUndefined();
  });

  test('cgroup v2 inside a container with a cgroup namespace: the mount root is our cgroup', () => {
    const dirs = cgroupDirs('0::/\n', '600 590 0:30 / /sys/fs/cgroup ro - cgroup2 cgroup rw\n');
    expect(dirs.v2).toBe('/sys/fs/cgroup');
  });

  test('cgroup v1 (hybrid): cpu and memory controllers, combined cpu,cpuacct mount', () => {
    const procCgroup = '9:name=systemd:/\n4:memory:/process_api/0313\n2:cpu,cpuacct:/job/7\n0::/\n';
    const dirs = cgroupDirs(procCgroup, V1_MOUNTS);
    expect(dirs.memory).toBe('/sys/fs/cgroup/memory/process_api/0313');
    expect(dirs.cpu).toBe('/sys/fs/cgroup/cpu,cpuacct/job/7');
    expect(dirs.v2).toBe('/sys/fs/cgroup/unified');
    expect(dirs.roots[dirs.memory!]).toBe('/sys/fs/cgroup/memory');
  });

  test('cgroup v1 inside a Docker container without a cgroup namespace: the mount root is the container cgroup', () => {
    const id = 'docker/3f2a';
    const mounts = `700 690 0:32 /${id} /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n701 690 0:29 /${id} /sys/fs/cgroup/cpu ro - cgroup cgroup rw,cpu\n`;
    const dirs = cgroupDirs(`4:memory:/${id}\n2:cpu:/${id}\n`, mounts);
    expect(dirs.memory).toBe('/sys/fs/cgroup/memory');
    expect(dirs.cpu).toBe('/sys/fs/cgroup/cpu');
  });

  test('escaped spaces in mount points', () => {
    const dirs = cgroupDirs('0::/a\n', '30 23 0:26 / /sys/fs/my\\040cgroup rw - cgroup2 cgroup2 rw\n');
    expect(dirs.v2).toBe('/sys/fs/my cgroup/a');
  });

  test('nothing mounted → nothing known', () => {
    expect(cgroupDirs('0::/a\n', '')).toEqual({ roots: {} });
  });
});

describe('ancestors', () => {
  test('from the directory up to the mount point', () => {
    expect(ancestors('/sys/fs/cgroup/a/b', '/sys/fs/cgroup')).toEqual(['/sys/fs/cgroup/a/b', '/sys/fs/cgroup/a', '/sys/fs/cgroup']);
    expect(ancestors('/sys/fs/cgroup', '/sys/fs/cgroup')).toEqual(['/sys/fs/cgroup']);
  });
});
