/**
 * Preflight evaluation: host and engine facts + thresholds → checks. Pure, so
 * every rule is table-tested (test/unit/preflight.test.ts). The check ids are
 * part of the CLI interface: `--skip-check` takes them.
 */
import { InputError } from '../../errors.js';
import { compareVersions, isPodman, parseEngineVersion } from './engineVersion.js';
import { engineFailureText } from '../build/engineFailure.js';
import type { CpuFacts, EngineFacts, HostFacts, MemoryFacts, PathSpace, PreflightFacts, ProbeFacts } from './facts.js';

export const CHECK_IDS = ['arch', 'cpu', 'memory', 'disk', 'git', 'docker', 'docker-version', 'privileged'] as const;
export type CheckId = (typeof CHECK_IDS)[number];
export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

export interface Check {
  id: CheckId;
  status: CheckStatus;
  required: string;
  found: string;
  message: string;
  /** How to fix it; present when the status is not pass. */
  fix?: string;
}

export interface Thresholds {
  minCpus: number;
  /** RAM as it is sold: "8 GB" of DIMMs is 8 GiB. */
  minMemoryGB: number;
  /** Disk as it is sold and as `df -H` counts: 10^9 bytes. */
  minDiskGB: number;
}

export const DEFAULT_THRESHOLDS: Readonly<Thresholds> = { minCpus: 4, minMemoryGB: 8, minDiskGB: 150 };

/**
 * A machine sold with 8 GB has 8 GiB of RAM, but firmware, the kernel's own
 * reservations (crashkernel, page tables) and integrated graphics take their
 * share before MemTotal is counted: such machines report 7.6-7.8 GiB. Accept
 * 90% of the nominal size (8 GB → 7.2 GiB), so a real 8 GB machine passes and
 * a 4 GB one (~3.8 GiB) or a 6 GiB VM does not.
 */
export const MEMORY_TOLERANCE = 0.9;

/** 18.09 is the oldest engine the EdgeForge prerequisites accept. */
export const MIN_ENGINE = { major: 18, minor: 9, patch: 0 } as const;

/**
 * The privileged probe runs the image earthly.sh itself runs with --privileged
 * (CanvOS v4.5.3+): `$SPECTRO_PUB_REPO/third-party/edge/earthly/earthly:$EARTHLY_VERSION`,
 * with earthly.sh's defaults unless `.arg` sets them. The build pulls it anyway.
 */
export const DEFAULT_SPECTRO_PUB_REPO = 'us-docker.pkg.dev/palette-images';
export const DEFAULT_EARTHLY_VERSION = 'v0.8.15';

export function earthlyImage(arg: Readonly<Record<string, string>> = {}): string {
  return `${arg.SPECTRO_PUB_REPO || DEFAULT_SPECTRO_PUB_REPO}/third-party/edge/earthly/earthly:${arg.EARTHLY_VERSION || DEFAULT_EARTHLY_VERSION}`;
}

export interface PreflightSettings {
  thresholds: Thresholds;
  probeImage: string;
}

/** Thresholds and probe image from the build config's `preflight:` and `arg:`. */
export function preflightSettings(config: { preflight?: Partial<Thresholds> & { probeImage?: string }; arg?: Record<string, string> }): PreflightSettings {
  const p = config.preflight ?? {};
  return {
    thresholds: {
      minCpus: p.minCpus ?? DEFAULT_THRESHOLDS.minCpus,
      minMemoryGB: p.minMemoryGB ?? DEFAULT_THRESHOLDS.minMemoryGB,
      minDiskGB: p.minDiskGB ?? DEFAULT_THRESHOLDS.minDiskGB,
    },
    probeImage: p.probeImage ?? earthlyImage(config.arg),
  };
}

const GiB = 1024 ** 3;
const GB = 1e9;

export function usableCpus(cpus: CpuFacts): number {
  return Math.min(cpus.available, cpus.affinity ?? Infinity, cpus.quota ?? Infinity);
}

export function usableMemory(memory: MemoryFacts): number {
  return Math.min(memory.totalBytes, memory.cgroupLimitBytes ?? Infinity);
}

const round = (n: number, digits = 1): string => String(Number(n.toFixed(digits)));
const gib = (bytes: number): string => `${round(bytes / GiB)} GiB`;
const gb = (bytes: number): string => `${round(bytes / GB)} GB`;

function check(id: CheckId, status: CheckStatus, required: string, found: string, message: string, fix?: string): Check {
  return fix === undefined || status === 'pass' ? { id, status, required, found, message } : { id, status, required, found, message, fix };
}

function archCheck(host: HostFacts, engine: EngineFacts): Check {
  const required = 'linux/amd64';
  const hostArch = host.arch === 'x64' ? 'amd64' : host.arch;
  const engineArch = engine.ok ? engine.architecture : undefined;
  const engineOk = engineArch === undefined || /^(x86_64|amd64)$/.test(engineArch);
  const found = `${host.platform}/${hostArch}${engineArch ? ` (engine: ${engineArch})` : ''}`;
  if (host.platform !== 'linux' || host.arch !== 'x64') {
    return check('arch', 'fail', required, found, `this host is ${host.platform}/${hostArch}; CanvOS builds need Linux on AMD64 (x86_64)`, 'run the build on a Linux x86_64 machine or VM (e.g. an ubuntu-latest GitHub runner)');
  }
  if (!engineOk) {
    return check('arch', 'fail', required, found, `the Docker engine runs on ${engineArch}; CanvOS builds need an x86_64 engine`, 'point DOCKER_HOST at an x86_64 engine, or unset it to use the local one');
  }
  return check('arch', 'pass', required, found, 'Linux on x86_64');
}

function cpuCheck(cpus: CpuFacts, t: Thresholds): Check {
  const usable = usableCpus(cpus);
  const limits: string[] = [];
  if (cpus.quota !== undefined && cpus.quota <= usable) limits.push(`cgroup CPU quota ${round(cpus.quota, 2)}`);
  if (cpus.affinity !== undefined && cpus.affinity < cpus.host && cpus.affinity <= usable) limits.push(`CPU affinity allows ${cpus.affinity}`);
  const found = `${round(usable, 2)}${limits.length ? ` (${limits.join(', ')}; host has ${cpus.host})` : ''}`;
  const required = `>= ${t.minCpus} CPUs`;
  if (usable >= t.minCpus) return check('cpu', 'pass', required, found, `${round(usable, 2)} CPUs usable`);
  const fix = limits.some((l) => l.startsWith('cgroup'))
    ? `raise the CPU quota of this container/cgroup to ${t.minCpus} (docker run --cpus ${t.minCpus}, systemd CPUQuota=${t.minCpus * 100}%)`
    : limits.length
      ? `widen the CPU affinity (taskset -c / cpuset) to at least ${t.minCpus} CPUs`
      : `build on a machine or VM with at least ${t.minCpus} CPUs`;
  return check('cpu', 'fail', required, found, `only ${round(usable, 2)} CPUs usable by this process; the build needs ${t.minCpus}`, fix);
}

function memoryCheck(memory: MemoryFacts, t: Thresholds): Check {
  const usable = usableMemory(memory);
  const needed = t.minMemoryGB * GiB * MEMORY_TOLERANCE;
  const limited = memory.cgroupLimitBytes !== undefined && memory.cgroupLimitBytes < memory.totalBytes;
  const found = limited ? `${gib(usable)} (cgroup limit; host has ${gib(memory.totalBytes)})` : gib(usable);
  const required = `${t.minMemoryGB} GB (>= ${gib(needed)} reported)`;
  if (usable >= needed) return check('memory', 'pass', required, found, `${gib(usable)} of memory usable`);
  const fix = limited
    ? `raise the memory limit of this container/cgroup to ${t.minMemoryGB} GiB (docker run --memory ${t.minMemoryGB}g)`
    : `build on a machine or VM with at least ${t.minMemoryGB} GB of RAM`;
  return check('memory', 'fail', required, found, `${gib(usable)} of memory usable; the build needs ${t.minMemoryGB} GB`, fix);
}

interface Filesystem {
  roles: string[];
  path: string;
  freeBytes?: number | undefined;
  unknown?: string | undefined;
}

/** Paths on the same filesystem (same st_dev) count once: free space is shared. */
export function groupFilesystems(spaces: PathSpace[]): Filesystem[] {
  const groups: Filesystem[] = [];
  const byDevice = new Map<string, Filesystem>();
  for (const space of spaces) {
    const known = space.device === undefined ? undefined : byDevice.get(space.device);
    if (known) {
      known.roles.push(space.role);
      continue;
    }
    const fs: Filesystem = { roles: [space.role], path: space.path, freeBytes: space.freeBytes, unknown: space.unknown };
    groups.push(fs);
    if (space.device !== undefined) byDevice.set(space.device, fs);
  }
  return groups;
}

function diskCheck(spaces: PathSpace[], t: Thresholds): Check {
  const needed = t.minDiskGB * GB;
  const required = `>= ${t.minDiskGB} GB free on each filesystem (work dir, Docker data root)`;
  const groups = groupFilesystems(spaces);
  const found = groups.map((g) => `${g.path} (${g.roles.join(', ')}): ${g.freeBytes === undefined ? 'not checked' : `${gb(g.freeBytes)} free`}`).join('; ');
  const short = groups.filter((g) => g.freeBytes !== undefined && g.freeBytes < needed);
  const unknown = groups.filter((g) => g.freeBytes === undefined);
  if (short.length) {
    const what = short.map((g) => `${g.path} (${g.roles.join(', ')}) has ${gb(g.freeBytes!)} free`).join('; ');
    return check('disk', 'fail', required, found, `${what}; the build needs ${t.minDiskGB} GB`, `free space there (docker system prune -a removes unused images), or use --work-dir on a larger filesystem`);
  }
  if (unknown.length) {
    const checked = groups.filter((g) => g.freeBytes !== undefined).map((g) => `${g.roles.join(', ')} has ${gb(g.freeBytes!)} free`);
    const notChecked = unknown.map((g) => `${g.roles.join(', ')} ${g.path}: ${g.unknown ?? 'not checked'}`);
    return check('disk', 'warn', required, found, [...checked, ...notChecked.map((n) => `not checked: ${n}`)].join('; '), `make sure ${unknown.map((g) => g.path).join(' and ')} has ${t.minDiskGB} GB free (df -H there)`);
  }
  return check('disk', 'pass', required, found, `at least ${t.minDiskGB} GB free on ${groups.length === 1 ? 'the build filesystem' : `all ${groups.length} build filesystems`}`);
}

function gitCheck(host: HostFacts): Check {
  if ('version' in host.git) return check('git', 'pass', 'installed', `git ${host.git.version}`, `git ${host.git.version}`);
  return check('git', 'fail', 'installed', 'not found', `git is not usable: ${host.git.error}`, 'install git (apt-get install git, dnf install git) and make sure it is on PATH');
}

function dockerCheck(engine: EngineFacts): Check {
  const required = 'the engine answers';
  if (!engine.ok) {
    const { message, fix } = engineFailureText(engine);
    return check('docker', 'fail', required, `no answer at ${engine.endpoint.url}`, message, fix);
  }
  const found = `${engine.platformName || 'Docker engine'} ${engine.version} at ${engine.endpoint.url}${engine.rootless ? ' (rootless)' : ''}`;
  if (!engine.endpoint.local) {
    const { message, fix } = engineFailureText({ endpoint: engine.endpoint, failure: 'remote', detail: engine.endpoint.url });
    return check('docker', 'fail', required, found, message, fix);
  }
  return check('docker', 'pass', required, found, `the engine answers at ${engine.endpoint.url}`);
}

function versionCheck(engine: EngineFacts): Check {
  const required = `>= ${MIN_ENGINE.major}.${String(MIN_ENGINE.minor).padStart(2, '0')}`;
  if (!engine.ok) return check('docker-version', 'skip', required, 'unknown', 'not checked: the Docker engine did not answer');
  const found = `${engine.version}${engine.apiVersion ? ` (API ${engine.apiVersion})` : ''}`;
  if (isPodman({ version: engine.version, platformName: engine.platformName, components: engine.components })) {
    return check('docker-version', 'warn', required, `Podman ${found}`, `this is Podman ${engine.version} through its Docker-compatible API; earthly.sh is written for Docker and may fail on privileged containers or the docker.sock mount`, 'use Docker Engine (https://docs.docker.com/engine/install/) for CanvOS builds');
  }
  const parsed = parseEngineVersion(engine.version);
  if (!parsed) return check('docker-version', 'warn', required, found, `cannot read the engine version "${engine.version}"`, `make sure the engine is Docker ${required}`);
  if (compareVersions(parsed, MIN_ENGINE) < 0) {
    return check('docker-version', 'fail', required, found, `Docker ${engine.version} is older than 18.09`, 'upgrade Docker Engine (https://docs.docker.com/engine/install/)');
  }
  return check('docker-version', 'pass', required, found, `Docker ${engine.version}`);
}

function privilegedCheck(engine: EngineFacts, probe: ProbeFacts | undefined): Check {
  const required = 'privileged containers run';
  if (!engine.ok) return check('privileged', 'skip', required, 'unknown', 'not checked: the Docker engine did not answer');
  if (!probe) return check('privileged', 'skip', required, 'unknown', 'not checked: the probe did not run');
  const rootless = engine.rootless ? 'rootless Docker: ' : '';
  switch (probe.outcome) {
    case 'started': {
      const found = `started ${probe.image}${probe.pulled ? ' (pulled)' : ''}`;
      if (engine.rootless) {
        return check('privileged', 'warn', required, `${found} (rootless Docker)`, 'rootless Docker: a "privileged" container only has the privileges of your user, so steps of the build that need real root (loop devices, mounts) may fail', 'use rootful Docker for CanvOS builds (https://docs.docker.com/engine/install/linux-postinstall/)');
      }
      return check('privileged', 'pass', required, found, `a privileged container from ${probe.image} started and was removed`);
    }
    case 'refused':
      return check('privileged', 'fail', required, `refused${engine.rootless ? ' (rootless Docker)' : ''}`, `${rootless}the engine refused a privileged container: ${probe.error}`, engine.rootless ? 'use rootful Docker: earthly.sh runs its container with --privileged' : 'allow privileged containers for this user (no authorization plugin or userns-remap blocking --privileged; not inside an unprivileged container): earthly.sh runs with --privileged');
    case 'no-image':
      return check('privileged', 'warn', required, 'not probed', `could not get the probe image ${probe.image}: ${probe.error}`, `pull it (docker pull ${probe.image}) or set preflight.probeImage in the build config to a local image`);
    case 'error':
      return check('privileged', 'fail', required, 'unknown', `${rootless}the privileged probe with ${probe.image} failed: ${probe.error}`, 'check the engine (docker run --rm --privileged <image> true) or set preflight.probeImage to an image that has `true`');
  }
}

/** Every check, in CHECK_IDS order. */
export function evaluatePreflight(facts: PreflightFacts, thresholds: Thresholds = DEFAULT_THRESHOLDS): Check[] {
  return [
    archCheck(facts.host, facts.engine),
    cpuCheck(facts.host.cpus, thresholds),
    memoryCheck(facts.host.memory, thresholds),
    diskCheck(facts.spaces, thresholds),
    gitCheck(facts.host),
    dockerCheck(facts.engine),
    versionCheck(facts.engine),
    privilegedCheck(facts.engine, facts.probe),
  ];
}

/** `--skip-check` ids; unknown ones are a usage error (exit 2). */
export function parseSkipIds(ids: readonly string[]): Set<CheckId> {
  if (ids.includes('all')) return new Set(CHECK_IDS);
  const unknown = ids.filter((id) => !(CHECK_IDS as readonly string[]).includes(id));
  if (unknown.length) {
    throw new InputError(`--skip-check: unknown check ${unknown.map((u) => JSON.stringify(u)).join(', ')}`, { code: 'unknown-check', fix: `use ids from: ${CHECK_IDS.join(', ')}, or all`, details: { unknown, known: [...CHECK_IDS] } });
  }
  return new Set(ids as CheckId[]);
}

/** Marks skipped checks `skip`, keeping what was found; one warning per skip. */
export function applySkips(checks: Check[], skip: ReadonlySet<CheckId>): { checks: Check[]; warnings: string[] } {
  const warnings: string[] = [];
  const out = checks.map((c): Check => {
    if (!skip.has(c.id)) return c;
    const would = c.status === 'fail' ? `it fails: ${c.message}` : c.status === 'skip' ? c.message : `it would ${c.status}: ${c.message}`;
    warnings.push(`preflight check "${c.id}" skipped (--skip-check); ${would}`);
    return { id: c.id, status: 'skip', required: c.required, found: c.found, message: `skipped by --skip-check; ${would}` };
  });
  return { checks: out, warnings };
}

export function preflightStatus(checks: readonly Check[]): 'ok' | 'failed' {
  return checks.some((c) => c.status === 'fail') ? 'failed' : 'ok';
}
