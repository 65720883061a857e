/**
 * Who a process is, beyond its pid. Pids are reused (and edgebuild is often
 * pid 1 in a CI container, as was the run that left a lock behind), so a lock
 * or a temporary directory records the pid with the process's start time:
 * field 22 of /proc/<pid>/stat, in clock ticks since boot, fixed for the
 * life of a process. A pid that is alive with another start time is another
 * process. Where /proc does not exist the start time is unknown and only the
 * pid is checked.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { isSameProcess, parseStat, type ProcessIdentity, type ProcessInfo } from '../core/processIdentity.js';

export interface ProcessId {
  pid: number;
  /** /proc/<pid>/stat field 22; undefined where it cannot be read. */
  start?: number | undefined;
  /** The kernel's boot id: pids and start times mean something only within one boot. */
  boot?: string | undefined;
  /** The pid namespace: a process in another container has pids we cannot see. */
  pidns?: string | undefined;
}

/** A live process as /proc/<pid>/stat shows it; undefined when it is gone (or there is no /proc). */
export function readProcess(pid: number): ProcessInfo | undefined {
  try {
    return parseStat(pid, readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Every running process (Linux; elsewhere: none). Read synchronously, so a
 * signal handler can take a snapshot before anything else reacts to the signal.
 */
export function allProcesses(): ProcessInfo[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const found: ProcessInfo[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const info = readProcess(Number(entry));
    if (info) found.push(info);
  }
  return found;
}

/** The start time of a live process, or undefined (gone, or no /proc). */
export function processStartTime(pid: number): number | undefined {
  return readProcess(pid)?.startTime;
}

/** The short command name of a live process (/proc/<pid>/comm), for messages. */
export function processCommand(pid: number): string | undefined {
  return readOr(() => readFileSync(`/proc/${pid}/comm`, 'utf8'));
}

/** Whether a process exists (EPERM: it exists but is not ours). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOr(read: () => string): string | undefined {
  try {
    return read().trim() || undefined;
  } catch {
    return undefined;
  }
}

let bootId: string | undefined;
/** This boot's id (empty where the kernel does not tell). */
export function currentBootId(): string {
  bootId ??= readOr(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8')) ?? '';
  return bootId;
}

let self: ProcessId | undefined;
export function selfId(): ProcessId {
  self ??= {
    pid: process.pid,
    start: processStartTime(process.pid),
    boot: currentBootId() || undefined,
    pidns: readOr(() => readlinkSync('/proc/self/ns/pid')),
  };
  return self;
}

/** What names process `pid` for a record kept across runs (see core/processIdentity.ts); undefined if it is gone. */
export function identify(pid: number): ProcessIdentity | undefined {
  const info = readProcess(pid);
  return info && { pid, startTime: info.startTime, bootId: currentBootId() };
}

/** Whether a recorded process is still running: same pid, same start time, same boot. */
export function isRecordedRunning(recorded: ProcessIdentity): boolean {
  return isSameProcess(recorded, readProcess(recorded.pid), currentBootId());
}

/**
 * Whether the process that wrote `id` still runs. `elsewhere`: it ran in
 * another pid namespace of this kernel (another container sharing the
 * directory), whose processes we cannot see. A record of another boot is
 * gone: the machine rebooted, or the directory was copied from another
 * machine (a CI cache restored); a directory edgebuild locks is not shared
 * live between machines.
 */
export function processState(id: ProcessId): 'running' | 'gone' | 'elsewhere' {
  const me = selfId();
  if (id.boot !== undefined && me.boot !== undefined && id.boot !== me.boot) return 'gone';
  if (id.pidns !== undefined && me.pidns !== undefined && id.pidns !== me.pidns) return 'elsewhere';
  if (!Number.isSafeInteger(id.pid) || id.pid <= 0 || !processAlive(id.pid)) return 'gone';
  if (id.start === undefined) return 'running'; // written without a start time: the pid is all we know
  const start = processStartTime(id.pid);
  return start === undefined || start === id.start ? 'running' : 'gone';
}

/** Whether the owner of a temporary name may still use it. */
export function stillRunning(id: ProcessId): boolean {
  return processState(id) !== 'gone';
}

/**
 * The owner part of a temporary name: `<pid>.<start>`, or `<pid>` where the
 * start time is unknown. Names of older versions (`<pid>` only) parse too.
 */
export function ownerTag(id: ProcessId = selfId()): string {
  return id.start === undefined ? String(id.pid) : `${id.pid}.${id.start}`;
}

export const OWNER_TAG = String.raw`(\d+)(?:\.(\d+))?`;

/** The process named by the two captures of OWNER_TAG. */
export function ownerOf(pid: string, start: string | undefined): ProcessId {
  return { pid: Number(pid), start: start === undefined ? undefined : Number(start) };
}
