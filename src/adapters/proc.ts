/**
 * Child processes through execa. The build runs detached, in its own process
 * group, so that Ctrl-C reaches edgebuild alone and edgebuild stops the whole
 * tree (earthly.sh, docker CLIs, anything they forked) itself. The group is
 * led by a small supervisor (assets/edgebuild-build-supervisor.mjs) that holds
 * a pipe to edgebuild and kills the group when that pipe closes: no handler of
 * edgebuild runs on SIGKILL, but the kernel closes its end of the pipe.
 */
import type { Readable } from 'node:stream';
import type * as ExecaModule from 'execa';
import { RuntimeError } from '../errors.js';
import { BUILD_SUPERVISOR_ASSET } from './assets.js';
import { BatchedLog } from './logWriter.js';
import { CANVOS_ERROR_LINE, LineBlocks, Tail, brokenErrorCheck } from '../core/build/output.js';

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
  /** A pseudo-terminal as the build's stdin (see adapters/pty.ts); its output is cleaned of terminal sequences. */
  pty?: boolean;
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

/** What the output showed, block by block: its size, its last lines, CanvOS's failure line. */
class OutputFacts {
  bytes = 0;
  printedError = false;
  readonly tail = new Tail();

  add(block: Buffer): void {
    this.bytes += block.length;
    if (!this.printedError && block.includes(ERROR_LINE)) this.printedError = true;
    this.tail.add(block);
  }
}

/** Starts `command` under the supervisor, which leads a new process group; fd 3 is its lifeline to us. */
function spawnSupervised(execa: typeof ExecaModule.execa, options: RunLoggedOptions, graceMs: number) {
  return execa(process.execPath, [BUILD_SUPERVISOR_ASSET, ...(options.pty ? ['--pty'] : []), String(graceMs), ...options.command], {
    cwd: options.cwd,
    env: options.env as Record<string, string>,
    extendEnv: false,
    detached: true, // setsid(): its own session and process group
    cleanup: false, // we stop the whole group ourselves (GroupControl)
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    buffer: false,
    reject: false,
    stripFinalNewline: false,
    forceKillAfterDelay: false,
  });
}

/**
 * Who stops the build's process group, and when: an abort (SIGTERM, then
 * SIGKILL after the grace), edgebuild's own exit (SIGKILL), and leftovers
 * holding the output pipe open after the main process exited.
 */
class GroupControl {
  aborted = false;
  private killTimer: NodeJS.Timeout | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private readonly onExit = (): void => void this.kill();
  private readonly onAbort = (): void => {
    if (this.pid === undefined || this.aborted) return;
    this.aborted = true;
    signalGroup(this.pid, 'SIGTERM');
    this.killTimer = setTimeout(() => this.kill(), this.graceMs);
  };

  constructor(
    private readonly pid: number | undefined,
    private readonly graceMs: number,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /** Watches `child` until dispose(). */
  watch(child: { once(event: 'exit', listener: () => void): unknown }): void {
    if (this.pid === undefined) return;
    // If edgebuild itself dies, it takes the build with it.
    process.on('exit', this.onExit);
    this.signal?.addEventListener('abort', this.onAbort, { once: true });
    // A daemon left behind by the script could keep the pipe open forever.
    child.once('exit', () => (this.lingerTimer = setTimeout(() => this.kill(), this.aborted ? this.graceMs : LINGER_MS)));
  }

  kill(): void {
    if (this.pid !== undefined) signalGroup(this.pid, 'SIGKILL');
  }

  /** Whatever the command left running in its group goes too. */
  async stopRest(): Promise<void> {
    if (this.pid !== undefined) await stopGroup(this.pid, this.graceMs, this.aborted ? 'SIGKILL' : 'SIGTERM');
  }

  dispose(): void {
    clearTimeout(this.killTimer);
    clearTimeout(this.lingerTimer);
    this.signal?.removeEventListener('abort', this.onAbort);
    process.off('exit', this.onExit);
  }
}

/**
 * Feeds a stream into `write` as blocks of whole, redacted lines; pauses it
 * while `write` says the log is full. One splitter per stream, so a partial
 * line on stdout never swallows a stderr line. 'data' events, not async
 * iteration: a build writes tens of thousands of small chunks.
 */
function pumpLines(stream: Readable | null, secrets: readonly string[], write: (block: Buffer | undefined) => boolean, log: BatchedLog): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!stream) return resolve();
    const blocks = new LineBlocks(secrets);
    stream.on('data', (chunk: Buffer) => {
      let room = true;
      blocks.pushEach(chunk, (block) => {
        room = write(block) && room;
      });
      if (!room) {
        stream.pause();
        log.whenDrained(() => stream.resume());
      }
    });
    stream.once('end', () => {
      write(blocks.end());
      resolve();
    });
    stream.once('error', reject);
  });
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
  const log = await BatchedLog.open(options.logPath);
  const output = new OutputFacts();
  /** false: the log's buffer is full, pause the source until it drains. */
  const write = (block: Buffer | undefined): boolean => {
    if (!block) return true;
    output.add(block);
    options.onBlock?.(block);
    return log.write(block);
  };

  // Imported here, not at the top: only a build runs it, and an up-to-date rerun must not load execa.
  const { execa } = await import('execa');
  const child = spawnSupervised(execa, options, graceMs);
  const group = new GroupControl(child.pid, graceMs, options.signal);
  group.watch(child);
  if (child.pid !== undefined) options.onSpawn?.(child.pid);
  try {
    try {
      // A log that cannot be written (disk full) stops the build: its output would be lost.
      await Promise.race([Promise.all([pumpLines(child.stdout, options.secrets, write, log), pumpLines(child.stderr, options.secrets, write, log)]), log.failed]);
      log.flush();
    } catch (error) {
      group.kill();
      throw new RuntimeError(`cannot write the build log ${options.logPath}: ${error instanceof Error ? error.message : String(error)}`, {
        code: 'build-log',
        fix: 'free space on the work dir file system, or pass another --work-dir',
      });
    }
    const result = await child;
    await group.stopRest();
    const exitCode = typeof result.exitCode === 'number' ? result.exitCode : undefined;
    const spawnError = result.failed && exitCode === undefined && !result.signal ? result.originalMessage : undefined;
    if (spawnError) {
      write(Buffer.from(`edgebuild: cannot start the build supervisor with ${process.execPath}: ${spawnError}\n`));
      log.flush();
    }
    return {
      exitCode,
      signal: result.signal ?? undefined,
      aborted: group.aborted,
      bytes: output.bytes,
      tail: output.tail.lines(20),
      brokenErrorCheck: brokenErrorCheck(output.tail.lines(400)),
      printedError: output.printedError,
      durationMs: Date.now() - started,
    };
  } finally {
    group.dispose();
    await log.close();
  }
}
