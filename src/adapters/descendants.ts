/**
 * The processes this one started, at any depth. git runs its transports
 * (git-remote-http, ssh) as grandchildren that outlive a killed `git fetch`
 * and are re-parented away the moment it dies; on Ctrl-C they are ours to stop.
 * Read synchronously, so a signal handler can take the list before anything
 * else reacts to the signal.
 */
import { allProcesses } from './processIdentity.js';

export function descendants(root = process.pid): number[] {
  const map = new Map(allProcesses().map((p) => [p.pid, p.ppid]));
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
