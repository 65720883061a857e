/**
 * Images on the engine, through the Engine API: what a build left under a
 * reference (ID, created time) and pushing one with the registry's
 * credentials in the X-Registry-Auth header (never in argv or a log).
 */
import { RuntimeError } from '../errors.js';
import { DockerApiError, dockerCall, type DockerClient } from './docker.js';

/** dockerode takes `abortSignal`; @types/dockerode does not say so. */
interface Abortable {
  abortSignal: AbortSignal;
}

export interface EngineImage {
  id: string;
  created: Date;
}

/** `docker image inspect <reference>`; undefined when the engine has no image by that name. */
export async function inspectImage(client: DockerClient, reference: string, signal?: AbortSignal): Promise<EngineImage | undefined> {
  const image = client.docker.getImage(reference) as unknown as { inspect(o: Abortable): Promise<{ Id: string; Created: string }> };
  try {
    const info = await dockerCall(client, `docker image inspect ${reference}`, (abortSignal) => image.inspect({ abortSignal }), { signal });
    return { id: info.Id, created: new Date(info.Created) };
  } catch (error) {
    if (error instanceof DockerApiError && error.statusCode === 404) return undefined;
    throw error;
  }
}

/** What the engine sends the registry: a password or an identity token, and the server it is for. */
export type PushAuth = { username: string; password: string; serveraddress: string } | { identitytoken: string; serveraddress: string };

interface PushEvent {
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { Tag?: string; Digest?: string; Size?: number };
}

/**
 * `docker push <reference>` through the engine; returns the manifest digest
 * the registry answered with. A failed push throws RuntimeError with the
 * engine's message.
 */
export async function pushImage(
  client: DockerClient,
  reference: string,
  auth: PushAuth | undefined,
  options: { signal?: AbortSignal | undefined; timeoutMs: number; onProgress?: (line: string) => void },
): Promise<string> {
  const slash = reference.lastIndexOf('/');
  const colon = reference.lastIndexOf(':');
  const name = colon > slash ? reference.slice(0, colon) : reference;
  const tag = colon > slash ? reference.slice(colon + 1) : 'latest';
  const image = client.docker.getImage(name) as unknown as { push(o: Abortable & { tag: string; authconfig?: PushAuth }): Promise<NodeJS.ReadableStream> };
  const events = await dockerCall(
    client,
    `docker push ${reference}`,
    async (abortSignal) => {
      const stream = await image.push({ tag, abortSignal, ...(auth ? { authconfig: auth } : {}) });
      return await new Promise<PushEvent[]>((resolve, reject) => {
        client.docker.modem.followProgress(
          stream,
          (error: Error | null, result: PushEvent[]) => (error ? reject(error) : resolve(result)),
          (event: PushEvent) => {
            if (event.status) options.onProgress?.(event.status);
          },
        );
      });
    },
    { signal: options.signal, timeoutMs: options.timeoutMs },
  );
  const failed = events.find((e) => e.error || e.errorDetail?.message);
  if (failed) throw new RuntimeError(`pushing ${reference} failed: ${failed.errorDetail?.message ?? failed.error ?? 'unknown error'}`, { code: 'push-failed', fix: 'check the registry address and its credentials (docker login <registry>), then rerun with --push' });
  const digest = events.map((e) => e.aux?.Digest).find((d): d is string => typeof d === 'string');
  if (!digest) throw new RuntimeError(`pushing ${reference}: the engine reported no digest`, { code: 'push-failed', fix: 'rerun with --push; check the engine log if it repeats' });
  return digest;
}

export interface ImageEvent {
  action: string;
  /** The image ID (for tag, import, load). */
  id: string;
  /** The reference, for a tag event. */
  name: string | undefined;
}

/**
 * The engine's image events between two moments (`docker events --filter
 * type=image --since … --until …`): what was imported, loaded or tagged.
 */
export async function imageEvents(client: DockerClient, since: Date, until: Date, signal?: AbortSignal): Promise<ImageEvent[]> {
  const stamp = (d: Date): string => (d.getTime() / 1000).toFixed(3);
  const api = client.docker as unknown as { getEvents(o: Abortable & { since: string; until: string; filters: string }): Promise<NodeJS.ReadableStream> };
  const text = await dockerCall(
    client,
    'docker events --filter type=image',
    async (abortSignal) => {
      const stream = await api.getEvents({ since: stamp(since), until: stamp(until), filters: JSON.stringify({ type: ['image'] }), abortSignal });
      let body = '';
      for await (const chunk of stream) body += String(chunk);
      return body;
    },
    { signal },
  );
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { Action?: string; Actor?: { ID?: string; Attributes?: { name?: string } } })
    .map((e) => ({ action: e.Action ?? '', id: e.Actor?.ID ?? '', name: e.Actor?.Attributes?.name }));
}
