/**
 * The Docker side of a build: which engine it runs on (for the one-build-
 * per-engine lock) and the containers it started, to remove after an
 * interrupted or failed build. earthly.sh labels nothing, so "ours" means:
 * not there before the build began, and either named `earthly-buildkitd`
 * (fixed name and port 8372: a leftover breaks the next build) or run from an
 * Earthly image.
 */
import { dockerCall, type DockerClient } from './docker.js';

export const BUILDKITD_NAME = 'earthly-buildkitd';
/** earthly/earthly and earthly/buildkitd, under any registry or mirror prefix. */
const EARTHLY_IMAGE = /(^|\/)earthly\/(earthly|buildkitd)(:|@|$)/;

/** dockerode takes `abortSignal`; @types/dockerode does not say so. */
interface Abortable {
  abortSignal: AbortSignal;
}

/** The engine's ID (`docker info`), stable across restarts of that engine. */
export async function engineId(client: DockerClient, signal?: AbortSignal): Promise<string> {
  const api = client.docker as unknown as { info(o: Abortable): Promise<{ ID?: string; Name?: string }> };
  const info = await dockerCall(client, 'docker info', (abortSignal) => api.info({ abortSignal }), { signal });
  return info.ID || info.Name || client.endpoint.url;
}

export interface ContainerRef {
  id: string;
  name: string;
  image: string;
}

export async function listContainers(client: DockerClient): Promise<ContainerRef[]> {
  const api = client.docker as unknown as { listContainers(o: Abortable & { all: boolean }): Promise<{ Id: string; Names?: string[]; Image: string }[]> };
  const list = await dockerCall(client, 'docker ps -a', (abortSignal) => api.listContainers({ all: true, abortSignal }));
  return list.map((c) => ({ id: c.Id, name: (c.Names?.[0] ?? '').replace(/^\//, ''), image: c.Image }));
}

/** Pure: the containers of `after` that the build started. */
export function startedByBuild(before: ReadonlySet<string>, after: readonly ContainerRef[]): ContainerRef[] {
  return after.filter((c) => !before.has(c.id) && (c.name === BUILDKITD_NAME || EARTHLY_IMAGE.test(c.image)));
}

/**
 * Force-removes (kills, then removes) containers; ones already gone are
 * fine. Deliberately not abortable: it runs after Ctrl-C. Returns what failed.
 */
export async function removeContainers(client: DockerClient, containers: readonly ContainerRef[]): Promise<string[]> {
  const failures: string[] = [];
  for (const c of containers) {
    try {
      await dockerCall(client, `docker rm -f ${c.name}`, (abortSignal) =>
        (client.docker.getContainer(c.id) as unknown as { remove(o: Abortable & { force: boolean }): Promise<unknown> }).remove({ force: true, abortSignal }),
      );
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      // 404: gone already (--rm); 409: removal already in progress.
      if (status === 404 || status === 409) continue;
      failures.push(`${c.name || c.id.slice(0, 12)}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return failures;
}
