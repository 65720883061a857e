/**
 * What the adapters learn about the build host and its Docker engine: the
 * input of the pure preflight evaluation (src/core/preflight/checks.ts). Only data.
 */

export interface CpuFacts {
  /** os.cpus().length: what the machine has. */
  host: number;
  /** os.availableParallelism(): libuv's count, which honours affinity. */
  available: number;
  /** CPUs in /proc/self/status `Cpus_allowed_list` (sched affinity, cpusets). */
  affinity?: number | undefined;
  /** Tightest cgroup CPU quota (v2 cpu.max or v1 cfs quota) in CPUs, possibly fractional. */
  quota?: number | undefined;
}

export interface MemoryFacts {
  /** os.totalmem(): MemTotal, what the kernel manages. */
  totalBytes: number;
  /** Tightest cgroup memory limit (v2 memory.max or v1 limit_in_bytes) of this process. */
  cgroupLimitBytes?: number | undefined;
}

export type GitFacts = { version: string } | { error: string };

export interface HostFacts {
  platform: string;
  arch: string;
  cpus: CpuFacts;
  memory: MemoryFacts;
  git: GitFacts;
}

/** One path whose filesystem must hold the build. */
export interface PathSpace {
  role: 'work dir' | 'Docker data root';
  path: string;
  /** Filesystem identity (st_dev): two paths on one filesystem count once. */
  device?: string | undefined;
  freeBytes?: number | undefined;
  /** Why the free space is not known (remote engine, statfs error). */
  unknown?: string | undefined;
}

export interface DockerEndpoint {
  /** The URL shown to humans: unix:///var/run/docker.sock, tcp://host:2376, npipe:////./pipe/docker_engine. */
  url: string;
  kind: 'unix' | 'npipe' | 'tcp' | 'ssh';
  /** Socket path, or host:port. */
  address: string;
  /** True when DOCKER_HOST chose the endpoint, false for the default socket. */
  fromEnv: boolean;
  /** The docker context that chose the endpoint (DOCKER_CONTEXT or `docker context use`), if one did. */
  context?: string;
  /** The engine runs on this machine (a socket, or a loopback address): its paths are ours. */
  local: boolean;
}

export type EngineFailure = 'bad-host' | 'context' | 'remote' | 'no-socket' | 'permission' | 'refused' | 'timeout' | 'unresolved' | 'tls' | 'other';

export type EngineFacts =
  | {
      ok: true;
      endpoint: DockerEndpoint;
      /** `Version` from GET /version. */
      version: string;
      apiVersion?: string | undefined;
      platformName?: string | undefined;
      components?: string[] | undefined;
      operatingSystem?: string | undefined;
      /** `Architecture` from /info (x86_64, aarch64). */
      architecture?: string | undefined;
      rootDir?: string | undefined;
      rootless: boolean;
    }
  | { ok: false; endpoint: DockerEndpoint; failure: EngineFailure; detail: string };

/** The privileged probe: what happened when a privileged container was started. */
export type ProbeFacts =
  | { outcome: 'started'; image: string; exitCode?: number | undefined; pulled?: boolean | undefined }
  /** The engine refused to create or start a privileged container. */
  | { outcome: 'refused'; image: string; error: string }
  /** The image is not on the engine and could not be pulled. */
  | { outcome: 'no-image'; image: string; error: string }
  /** Anything else: a timeout, an image without `true`, ... */
  | { outcome: 'error'; image: string; error: string };

export interface PreflightFacts {
  host: HostFacts;
  engine: EngineFacts;
  spaces: PathSpace[];
  /** Absent when the probe was not run (skipped, or no engine). */
  probe?: ProbeFacts | undefined;
}
