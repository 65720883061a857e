/**
 * The Docker side of a build: which engine it runs on (for the one-build-
 * per-engine lock) and the containers it started, to remove after an
 * interrupted or failed build. earthly.sh labels nothing, so "ours" means:
 * not there before the build began, and either named `earthly-buildkitd`
 * (fixed name and port 8372: a leftover breaks the next build) or run from an
 * Earthly image.
 */
import type Docker from 'dockerode';

export const BUILDKITD_NAME = 'earthly-buildkitd';
/** earthly/earthly and earthly/buildkitd, under any registry or mirror prefix. */
const EARTHLY_IMAGE = /(^|\/)earthly\/(earthly|buildkitd)(:|@|$)/;

const CALL_TIMEOUT_MS = 30_000;

function timed<T>(what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Docker did not answer ${what} within ${CALL_TIMEOUT_MS / 1000}s`)), CALL_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The engine's ID (`docker info`), stable across restarts of that engine. */
export async function engineId(docker: Docker): Promise<string> {
  const info = (await timed('docker info', docker.info())) as { ID?: string; Name?: string };
  return info.ID || info.Name || 'unknown';
}

export interface ContainerRef {
  id: string;
  name: string;
  image: string;
}

export async function listContainers(docker: Docker): Promise<ContainerRef[]> {
  const list = await timed('docker ps', docker.listContainers({ all: true }));
  return list.map((c) => ({ id: c.Id, name: (c.Names[0] ?? '').replace(/^\//, ''), image: c.Image }));
}

/** Pure: the containers of `after` that the build started. */
export function startedByBuild(before: ReadonlySet<string>, after: readonly ContainerRef[]): ContainerRef[] {
  return after.filter((c) => !before.has(c.id) && (c.name === BUILDKITD_NAME || EARTHLY_IMAGE.test(c.image)));
}

/** Force-removes (kills, then removes) containers; ones already gone are fine. Returns what failed. */
export async function removeContainers(docker: Docker, containers: readonly ContainerRef[]): Promise<string[]> {
  const failures: string[] = [];
  for (const c of containers) {
    try {
      await timed(`docker rm -f ${c.name}`, docker.getContainer(c.id).remove({ force: true }));
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      // 404: gone already (--rm); 409: removal already in progress.
      if (status === 404 || status === 409) continue;
      failures.push(`${c.name || c.id.slice(0, 12)}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return failures;
}
