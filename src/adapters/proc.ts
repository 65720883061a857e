/**
 * Child processes through execa. The build runs detached, in its own process
 * group, so that Ctrl-C reaches edgebuild alone and edgebuild stops the whole
 * tree (earthly.sh, docker CLIs, anything they forked) itself. The group is
 * led by a small supervisor (assets/edgebuild-build-supervisor.mjs) that holds
 * a pipe to edgebuild and kills the group when that pipe closes: no handler of
 * edgebuild runs on SIGKILL, but the kernel closes its end of the pipe.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { RuntimeError } from '../errors.js';
import { BUILD_SUPERVISOR_ASSET } from './assets.js';
import { CANVOS_ERROR_LINE, LineBlocks, Tail, brokenErrorCheck } from '../core/buildOutput.js';

export interface RunLoggedOptions {
  /** argv; never carries secrets (they go through `env`). */
  command: string[];
  cwd: string;
  /** The complete environment of the child. */
  env: Record<string, string | undefined>;
  logPath: string;
  /** Replaced by `***` in the log and in everything passed to onBlock. */
  secrets: readonly string[];
  signal?: AbortSignal;
  /** SIGTERM first; SIGKILL to the whole group after this long. */
  graceMs?: number;
  /** Whole, redacted lines as they arrive (UTF-8 bytes). */
  onBlock?: (block: Buffer) => void;
  /** The build's process group id (its supervisor's pid), once started. */
  onSpawn?: (pid: number) => void;
}

export interface RunLoggedResult {
  exitCode: number | undefined;
  /** The signal that ended the child, if any. */
  signal: string | undefined;
  /** Stopped because `signal` was aborted. */
  aborted: boolean;
  /** Bytes of output. */
  bytes: number;
  /** The last lines of output, redacted. */
  tail: string[];
  /** CanvOS printed its failure line (some tags exit 0 after it). */
  printedError: boolean;
  /** The end of the output shows CanvOS's broken error check catching a failure (and exiting 0). */
  brokenErrorCheck: boolean;
  durationMs: number;
}

const ERROR_LINE = Buffer.from(CANVOS_ERROR_LINE);
/** The log is written in batches of this many bytes, or after this long. */
const BATCH_BYTES = 256 * 1024;
const BATCH_MS = 200;

/** After the main process exits, how long its leftovers may keep the output pipe open. */
const LINGER_MS = 3_000;

function signalGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // ESRCH: nobody left in the group
  }
}

async function waitGroupGone(pid: number, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (signalGroup(pid, 0)) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/** Stops a process group: `first` (SIGTERM), then SIGKILL to whatever is left after `graceMs`. */
export async function stopGroup(pgid: number, graceMs: number, first: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
  signalGroup(pgid, first);
  if (!(await waitGroupGone(pgid, graceMs))) signalGroup(pgid, 'SIGKILL');
  await waitGroupGone(pgid, 2_000);
}

/**
 * Runs a command in its own process group, streaming stdout and stderr into
 * `logPath`, interleaved at line boundaries. Memory stays flat: output is
 * handled in blocks of whole lines and the log's backpressure pauses the pipes.
 */
export async function runLogged(options: RunLoggedOptions): Promise<RunLoggedResult> {
  const started = Date.now();
  const graceMs = options.graceMs ?? 10_000;
  if (options.signal?.aborted) throw options.signal.reason;
  // Imported here, not at the top: only a build runs it, and an up-to-date rerun must not load execa.
  const { execa } = await import('execa');
  await mkdir(dirname(options.logPath), { recursive: true });
  // A roomy buffer lets reading and writing overlap; backpressure still bounds it.
  const log = createWriteStream(options.logPath, { flags: 'a', mode: 0o600, highWaterMark: 4 * 1024 * 1024 });
  await once(log, 'open');
  const tail = new Tail();
  let bytes = 0;
  let printedError = false;
  // Blocks are gathered and written together (one writev), not one write per
  // pipe read: a fast build delivers tens of thousands of small reads.
  let batch: Buffer[] = [];
  let batchBytes = 0;
  let flushTimer: NodeJS.Timeout | undefined;
  const flush = (): boolean => {
    clearTimeout(flushTimer);
    flushTimer = undefined;
    if (batch.length === 0) return !log.writableNeedDrain;
    log.cork();
    for (const b of batch) log.write(b);
    process.nextTick(() => log.uncork());
    batch = [];
    batchBytes = 0;
    return !log.writableNeedDrain;
  };
  /** false: the log's buffer is full, pause the source until it drains. */
  const write = (block: Buffer | undefined): boolean => {
    if (!block) return true;
    bytes += block.length;
    if (!printedError && block.includes(ERROR_LINE)) printedError = true;
    tail.add(block);
    options.onBlock?.(block);
    batch.push(block);
    batchBytes += block.length;
    if (batchBytes >= BATCH_BYTES) return flush();
    flushTimer ??= setTimeout(flush, BATCH_MS);
    return true;
  };

  // The supervisor leads the group and runs the command; fd 3 is its lifeline to us.
  const child = execa(process.execPath, [BUILD_SUPERVISOR_ASSET, String(graceMs), ...options.command], {
    cwd: options.cwd,
    env: options.env as Record<string, string>,
    extendEnv: false,
    detached: true, // setsid(): its own session and process group
    cleanup: false, // we stop the whole group ourselves, below
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    buffer: false,
    reject: false,
    stripFinalNewline: false,
    forceKillAfterDelay: false,
  });
  const pid = child.pid;
  let aborted = false;
  let killTimer: NodeJS.Timeout | undefined;
  let lingerTimer: NodeJS.Timeout | undefined;
  // If edgebuild itself dies, it takes the build with it.
  const onExit = (): void => void (pid !== undefined && signalGroup(pid, 'SIGKILL'));
  const onAbort = (): void => {
    if (pid === undefined || aborted) return;
    aborted = true;
    signalGroup(pid, 'SIGTERM');
    killTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
  };
  if (pid !== undefined) {
    process.on('exit', onExit);
    options.onSpawn?.(pid);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    // A daemon left behind by the script could keep the pipe open forever.
    child.once('exit', () => (lingerTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), aborted ? graceMs : LINGER_MS)));
  }

  try {
    // One splitter per stream, so a partial line on stdout never swallows a stderr line.
    // 'data' events, not async iteration: a build writes tens of thousands of small chunks.
    const pump = (stream: Readable | null): Promise<void> =>
      new Promise((resolve, reject) => {
        if (!stream) return resolve();
        const blocks = new LineBlocks(options.secrets);
        stream.on('data', (chunk: Buffer) => {
          if (!write(blocks.push(chunk))) {
            stream.pause();
            log.once('drain', () => stream.resume());
          }
        });
        stream.once('end', () => {
          write(blocks.end());
          resolve();
        });
        stream.once('error', reject);
      });
    // A log that cannot be written (disk full) stops the build: its output would be lost.
    const logFailed = new Promise<never>((_, reject) => log.on('error', reject));
    logFailed.catch(() => undefined); // also when it fails after the output ended
    try {
      await Promise.race([Promise.all([pump(child.stdout), pump(child.stderr)]), logFailed]);
      flush();
    } catch (error) {
      if (pid !== undefined) signalGroup(pid, 'SIGKILL');
      throw new RuntimeError(`cannot write the build log ${options.logPath}: ${error instanceof Error ? error.message : String(error)}`, {
        code: 'build-log',
        fix: 'free space on the work dir file system, or pass another --work-dir',
      });
    }
    const result = await child;
    // Whatever the script left running in its group goes too.
    if (pid !== undefined) await stopGroup(pid, graceMs, aborted ? 'SIGKILL' : 'SIGTERM');
    const exitCode = typeof result.exitCode === 'number' ? result.exitCode : undefined;
    const spawnError = result.failed && exitCode === undefined && !result.signal ? result.originalMessage : undefined;
    if (spawnError) {
      write(Buffer.from(`edgebuild: cannot start the build supervisor with ${process.execPath}: ${spawnError}\n`));
      flush();
    }
    return {
      exitCode,
      signal: result.signal ?? undefined,
      aborted,
      bytes,
      tail: tail.lines(20),
      brokenErrorCheck: brokenErrorCheck(tail.lines(400)),
      printedError,
      durationMs: Date.now() - started,
    };
  } finally {
    flush();
    clearTimeout(killTimer);
    clearTimeout(lingerTimer);
    options.signal?.removeEventListener('abort', onAbort);
    process.off('exit', onExit);
    if (!log.destroyed) {
      log.end();
      await once(log, 'close').catch(() => undefined);
    }
  }
}
