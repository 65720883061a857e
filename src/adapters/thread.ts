/**
 * A pipeline module run on a worker thread whose young generation is capped.
 *
 * V8 sizes a thread's young generation for the run it sees: the semi-spaces double (up to
 * 16 MiB each on Node.js 20) whenever the bytes that survived scavenges since the last
 * doubling exceed them, so a long loop that keeps a little of what it allocates ends with
 * a 32 MiB new space, resident, however little it holds. The main thread's limit is fixed
 * when Node.js starts (`--max-semi-space-size`); a worker's is set by whoever starts it
 * (`resourceLimits`). The entry module runs on load and reaches its starter through
 * `threadChannel()`.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

export interface ThreadLimits {
  /** The young generation's cap in MiB: three semi-spaces' worth (12 → 4 MiB semi-spaces). */
  youngGenerationMb: number;
}

export interface Thread {
  post(message: unknown): void;
  /** Each message the thread posts, in order. */
  onMessage(listener: (message: unknown) => void): void;
  /** Resolves when the thread has exited; rejects with an error it did not catch. */
  readonly exited: Promise<void>;
}

export function startThread(entry: URL, data: unknown, limits: ThreadLimits): Thread {
  const worker = new Worker(entry, { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: limits.youngGenerationMb } });
  const exited = new Promise<void>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('exit', () => resolve());
  });
  exited.catch(() => undefined); // its starter awaits it where it needs to
  return {
    post: (message) => worker.postMessage(message),
    onMessage: (listener) => void worker.on('message', listener),
    exited,
  };
}

export interface ThreadChannel {
  /** What the starter passed to startThread. */
  data: unknown;
  post(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Lets the thread exit once its work is done (a listener keeps it alive); what it posted is still delivered. */
  release(): void;
}

/** Inside a thread started by startThread: its data and its way back. */
export function threadChannel(): ThreadChannel {
  const port = parentPort;
  if (isMainThread || !port) throw new Error('internal: a thread entry module was loaded on the main thread');
  return {
    data: workerData,
    post: (message) => port.postMessage(message),
    onMessage: (listener) => void port.on('message', listener),
    release: () => port.unref(),
  };
}
