/**
 * The privileged-container probe behind the `privileged` preflight check:
 * earthly.sh runs Earthly in a privileged container, so we start a
 * short-lived one and report the engine's own words when it refuses.
 * Every call goes through `dockerCall` (a deadline on each).
 */
import { DockerApiError, DockerUnavailable, dockerCall, seconds, type CallOptions, type DockerClient } from './docker.js';
import type { ProbeFacts } from '../core/preflight/facts.js';

export interface ProbeOptions extends CallOptions {
  /** Deadline of pulling the probe image when the engine does not have it. */
  pullTimeoutMs?: number;
  /** Progress lines for humans (pulling, ...). */
  onProgress?: (line: string) => void;
}

export const DEFAULT_PULL_TIMEOUT_MS = 5 * 60_000;

/** Makes sure the engine has `image`: inspect, else pull within the pull deadline. */
async function ensureImage(client: DockerClient, image: string, options: ProbeOptions): Promise<{ pulled: boolean } | { error: string }> {
  try {
    await dockerCall(client, `inspect image ${image}`, () => client.docker.getImage(image).inspect(), options);
    return { pulled: false };
  } catch (error) {
    if (!(error instanceof DockerApiError && error.statusCode === 404)) throw error;
  }
  const timeoutMs = options.pullTimeoutMs ?? DEFAULT_PULL_TIMEOUT_MS;
  options.onProgress?.(`pulling ${image} (at most ${seconds(timeoutMs)})`);
  try {
    await dockerCall(
      client,
      `pull ${image}`,
      async (abortSignal) => {
        const stream = (await client.docker.pull(image, { abortSignal })) as NodeJS.ReadableStream & { destroy?: () => void };
        abortSignal.addEventListener('abort', () => stream.destroy?.(), { once: true });
        await new Promise<void>((resolve, reject) => {
          client.docker.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve()), (event: { status?: string; error?: string }) => {
            if (event.error) reject(new Error(event.error));
          });
        });
      },
      { ...options, timeoutMs },
    );
    return { pulled: true };
  } catch (error) {
    if (options.signal?.aborted) throw error;
    return { error: error instanceof DockerUnavailable && error.failure === 'timeout' ? `the pull did not finish within ${seconds(timeoutMs)}` : (error as Error).message };
  }
}

const PROBE_LABEL = 'dev.edgebuild.probe';

/** Creates, starts, waits for and removes one short-lived container running `true`. */
async function runOnce(client: DockerClient, image: string, privileged: boolean, options: CallOptions): Promise<number> {
  const name = `edgebuild-probe-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const container = await dockerCall(
    client,
    'create the probe container',
    (abortSignal) =>
      client.docker.createContainer({
        name,
        Image: image,
        Entrypoint: ['true'],
        Cmd: [],
        Labels: { [PROBE_LABEL]: privileged ? 'privileged' : 'control' },
        HostConfig: { Privileged: privileged, NetworkMode: 'none' },
        abortSignal,
      }),
    options,
  );
  try {
    await dockerCall(client, 'start the probe container', (abortSignal) => container.start({ abortSignal }), options);
    const result = await dockerCall(client, 'wait for the probe container', (abortSignal) => container.wait({ abortSignal }) as Promise<{ StatusCode?: number }>, options);
    return result.StatusCode ?? 0;
  } finally {
    // Removal is ours to do even after a Ctrl-C: its own deadline, not the user's signal.
    await dockerCall(client, 'remove the probe container', (abortSignal) => container.remove({ force: true, v: true, abortSignal }), { timeoutMs: client.timeoutMs }).catch(() => undefined);
  }
}

/**
 * Can this user run privileged containers, as earthly.sh does? Starts a
 * privileged container from `image`. When the engine refuses, a plain
 * container from the same image tells a refusal of privileges apart from an
 * engine that cannot run containers at all. Never leaves a container behind.
 */
export async function probePrivileged(client: DockerClient, image: string, options: ProbeOptions = {}): Promise<ProbeFacts> {
  let ensured: Awaited<ReturnType<typeof ensureImage>>;
  try {
    ensured = await ensureImage(client, image, options);
  } catch (error) {
    if (options.signal?.aborted) throw error;
    return { outcome: 'error', image, error: (error as Error).message };
  }
  if ('error' in ensured) return { outcome: 'no-image', image, error: ensured.error };
  try {
    const exitCode = await runOnce(client, image, true, options);
    return { outcome: 'started', image, exitCode, pulled: ensured.pulled };
  } catch (error) {
    if (options.signal?.aborted) throw error;
    if (!(error instanceof DockerApiError)) return { outcome: 'error', image, error: (error as Error).message };
    const refusal = error.message;
    const control = await runOnce(client, image, false, options).then(
      () => undefined,
      (e: Error) => e.message,
    );
    return control === undefined ? { outcome: 'refused', image, error: refusal } : { outcome: 'error', image, error: `${refusal} (a plain container fails too: ${control})` };
  }
}
