/**
 * Running processes as /proc shows them (Linux; elsewhere: none). Read
 * synchronously, so a signal handler can take a snapshot before anything else
 * reacts to the signal.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { isSameProcess, parseStat, type ProcessIdentity, type ProcessInfo } from '../core/processIdentity.js';

export function readProcess(pid: number): ProcessInfo | undefined {
  try {
    return parseStat(pid, readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined; // gone, or no /proc
  }
}

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

let bootId: string | undefined;
/** This boot's id (empty where the kernel does not tell). */
export function currentBootId(): string {
  if (bootId === undefined) {
    try {
      bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      bootId = '';
    }
  }
  return bootId;
}

/** What names process `pid` for later (see core/processIdentity.ts); undefined if it is gone. */
export function identify(pid: number): ProcessIdentity | undefined {
  const info = readProcess(pid);
  return info && { pid, startTime: info.startTime, bootId: currentBootId() };
}

/** Whether the recorded process is still running: same pid, same start time, same boot. */
export function stillRunning(recorded: ProcessIdentity): boolean {
  return isSameProcess(recorded, readProcess(recorded.pid), currentBootId());
}
