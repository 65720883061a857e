/**
 * The processes this one started, at any depth. git runs its transports
 * (git-remote-http, ssh) as grandchildren that outlive a killed `git fetch`
 * and are re-parented away the moment it dies; on Ctrl-C they are ours to stop.
 * Read synchronously, so a signal handler can take the list before anything
 * else reacts to the signal.
 */
import { readFileSync, readdirSync } from 'node:fs';

/** pid → parent pid of every process, from /proc (Linux); empty elsewhere. */
function parents(): Map<number, number> {
  const map = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return map;
  }
  for (const pid of entries) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Field 4 (ppid) follows the parenthesised command, which may hold spaces.
      map.set(Number(pid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  return map;
}

export function descendants(root = process.pid): number[] {
  const map = parents();
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const [pid, ppid] of map) {
      if (ppid === parent && !found.includes(pid)) {
        found.push(pid);
        queue.push(pid);
      }
    }
  }
  return found;
}

/** Sends SIGTERM to each pid still running; returns how many were signalled. */
export function terminate(pids: readonly number[]): number {
  let count = 0;
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
      count += 1;
    } catch {
      // already gone
    }
  }
  return count;
}
