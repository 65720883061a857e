/**
 * What names a process beyond its pid. Pids are reused (quickly in a CI
 * container, where edgebuild may itself be pid 1), so a process recorded for
 * later is recorded with its start time — field 22 of /proc/<pid>/stat, clock
 * ticks since boot — and the boot it ran in; both must match for a pid to
 * still be that process. Pure: the adapter (adapters/processIdentity.ts) reads /proc.
 */

/** One process, from /proc/<pid>/stat. */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** Its process group's id (field 5). */
  pgid: number;
  /** Clock ticks after boot (field 22). */
  startTime: number;
  /** The executable's name (field 2, at most 15 characters). */
  name: string;
}

export interface ProcessIdentity {
  pid: number;
  startTime: number;
  /** /proc/sys/kernel/random/boot_id: start times count from boot. */
  bootId: string;
}

/** Parses /proc/<pid>/stat; the name is in parentheses and may itself hold spaces and ')'. */
export function parseStat(pid: number, text: string): ProcessInfo | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  // Fields from 3 (state) on; field N is at index N - 3.
  const fields = text.slice(close + 2).split(' ');
  const ppid = Number(fields[1]);
  const pgid = Number(fields[2]);
  const startTime = Number(fields[19]);
  if (![ppid, pgid, startTime].every(Number.isSafeInteger)) return undefined;
  return { pid, ppid, pgid, startTime, name: text.slice(open + 1, close) };
}

/** Whether `current` (what /proc says about recorded.pid now) is still the recorded process. */
export function isSameProcess(recorded: ProcessIdentity, current: ProcessInfo | undefined, bootId: string): boolean {
  return current !== undefined && current.pid === recorded.pid && current.startTime === recorded.startTime && bootId === recorded.bootId;
}

export function isProcessIdentity(value: unknown): value is ProcessIdentity {
  const v = value as ProcessIdentity | undefined;
  return typeof v === 'object' && v !== null && Number.isSafeInteger(v.pid) && v.pid > 0 && Number.isSafeInteger(v.startTime) && typeof v.bootId === 'string';
}
