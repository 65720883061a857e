/**
 * What a build leaves behind when edgebuild dies without cleaning up (SIGKILL,
 * OOM killer, power loss of the machine running it). Each build records itself
 * in its work dir; the next run there reads the record and decides, purely from
 * these facts, what is a leftover of the dead run.
 */
import { isProcessIdentity, isSameProcess, type ProcessIdentity, type ProcessInfo } from '../processIdentity.js';

export interface BuildRecord {
  /** The edgebuild that ran the build. */
  edgebuild: ProcessIdentity;
  /** The build's process group: its id is the pid of its leader (the build supervisor). */
  group: ProcessIdentity;
  /** The Docker engine the build ran on (`docker info` ID). */
  engine: string;
  /** Containers on that engine when the build began: Earthly containers not among them are the build's. */
  containersBefore: string[];
  startedAt: string;
}

export function parseBuildRecord(text: string): BuildRecord | undefined {
  let value: Partial<BuildRecord>;
  try {
    value = JSON.parse(text) as Partial<BuildRecord>;
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { edgebuild, group, engine, containersBefore, startedAt } = value;
  if (!isProcessIdentity(edgebuild) || !isProcessIdentity(group) || typeof engine !== 'string' || typeof startedAt !== 'string') return undefined;
  if (!Array.isArray(containersBefore) || !containersBefore.every((c) => typeof c === 'string')) return undefined;
  return { edgebuild, group, engine, containersBefore, startedAt };
}

/**
 * The processes still running in the recorded build's group. A group id is
 * its leader's pid, and Linux does not hand out a pid while a group still uses
 * it as its id; so members of that group are the build's unless the leader's
 * pid now names another process (the group died and the pid was reused), or
 * the machine has rebooted since.
 */
export function leftoverMembers(record: BuildRecord, processes: readonly ProcessInfo[], bootId: string): ProcessInfo[] {
  if (bootId !== record.group.bootId) return [];
  const leader = processes.find((p) => p.pid === record.group.pid);
  if (leader && !isSameProcess(record.group, leader, bootId)) return [];
  return processes.filter((p) => p.pgid === record.group.pid && p.startTime >= record.group.startTime);
}
