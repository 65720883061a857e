/**
 * Leftovers of an edgebuild that died mid-build without cleaning up. Its build
 * supervisor normally kills the build with it (adapters/proc.ts), but a
 * supervisor killed too (the OOM killer takes both) leaves the group running,
 * and containers outlive any process: the `earthly-buildkitd` the proxy path
 * starts, and `docker run --rm` containers whose CLI was killed. So each build
 * records itself in `<work-dir>/.edgebuild-build.json`, and the next run there
 * stops what that record names before it replaces the checkout or builds,
 * saying what it stopped.
 */
import { join } from 'node:path';
import { leftoverMembers, parseBuildRecord, type BuildRecord } from '../core/build/leftovers.js';
import type { DockerClient } from '../adapters/docker.js';
import { listContainers, removeContainers, startedByBuild, type ContainerRef } from '../adapters/dockerBuild.js';
import { atomicWriteFile, readTextIfReadable, removeFile } from '../adapters/files.js';
import { stopGroup } from '../adapters/proc.js';
import { allProcesses, currentBootId, identify, isRecordedRunning } from '../adapters/processIdentity.js';

export function buildRecordPath(workDir: string): string {
  return join(workDir, '.edgebuild-build.json');
}

/** How long a build's processes get between SIGTERM and SIGKILL (EDGEBUILD_KILL_GRACE_MS; tests shorten it). */
export function killGraceMs(env: Record<string, string | undefined>): number | undefined {
  const ms = Number(env.EDGEBUILD_KILL_GRACE_MS);
  return env.EDGEBUILD_KILL_GRACE_MS && Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

/** Records the running build (group `pgid`, started by this process) for the next run to find if we die. */
export async function recordBuild(path: string, pgid: number, engine: string, containersBefore: Iterable<string>): Promise<void> {
  const edgebuild = identify(process.pid);
  const group = identify(pgid);
  if (!edgebuild || !group) return; // no /proc: nothing to recognise the processes by later
  const record: BuildRecord = { edgebuild, group, engine, containersBefore: [...containersBefore], startedAt: new Date().toISOString() };
  await atomicWriteFile(path, `${JSON.stringify(record)}\n`, 0o600);
}

export async function forgetBuild(path: string): Promise<void> {
  await removeFile(path);
}

/** Removes containers a build left, saying which (`whose`: "the build", "a killed edgebuild (pid …)"); returns their names. */
export async function removeLeftContainers(client: DockerClient, containers: readonly ContainerRef[], whose: string, onWarning: (warning: string) => void): Promise<string[]> {
  const failures = await removeContainers(client, containers);
  const removed = containers.map((c) => c.name || c.id.slice(0, 12));
  if (removed.length) onWarning(`removed ${removed.length} container(s) ${whose} left behind: ${removed.join(', ')}`);
  for (const f of failures) onWarning(`could not remove container ${f}; remove it with docker rm -f`);
  return removed;
}

export interface SweepOptions {
  recordPath: string;
  graceMs?: number;
  onWarning: (warning: string) => void;
  /** The engine to remove the dead build's containers from; without it the record is kept for a run that has one. */
  docker?: { client: DockerClient; engine: string };
}

/**
 * Stops what a dead edgebuild's build left (see the module comment). A record
 * whose edgebuild still runs is a live build and is left alone.
 */
export async function sweepLeftoverBuild(options: SweepOptions): Promise<void> {
  const record = parseBuildRecord((await readTextIfReadable(options.recordPath)) ?? '');
  if (!record) {
    await forgetBuild(options.recordPath); // none, or unreadable: nothing to recognise
    return;
  }
  if (isRecordedRunning(record.edgebuild)) return;
  const who = `a killed edgebuild (pid ${record.edgebuild.pid})`;
  const members = leftoverMembers(record, allProcesses(), currentBootId());
  if (members.length > 0) {
    await stopGroup(record.group.pid, options.graceMs ?? 10_000);
    const names = [...new Set(members.map((m) => m.name))].join(', ');
    options.onWarning(`stopped process group ${record.group.pid} that ${who} left running: ${members.length} process(es) (${names}) of its build started at ${record.startedAt}`);
  }
  if (!options.docker) return;
  const { client, engine } = options.docker;
  if (engine !== record.engine) {
    options.onWarning(`${who} was building on another Docker engine (ID ${record.engine}); its containers there were not checked (look for earthly-buildkitd in docker ps -a)`);
  } else {
    await removeLeftContainers(client, startedByBuild(new Set(record.containersBefore), await listContainers(client)), who, options.onWarning);
  }
  await forgetBuild(options.recordPath);
}
