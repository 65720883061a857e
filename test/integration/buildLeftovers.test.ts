/**
 * The next run's sweep of a killed edgebuild's build (pipeline/leftovers.ts)
 * on real processes: a group left running by a dead edgebuild is stopped and
 * named; a live build, or a group id that now names another process, is left
 * alone. The containers side needs an engine: see isoKilled.test.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { identify } from '../../src/adapters/processIdentity.js';
import type { ProcessIdentity } from '../../src/core/processIdentity.js';
import { sweepLeftoverBuild } from '../../src/pipeline/leftovers.js';
import { processesInGroup, waitFor } from './isoHelpers.js';

let dir: string;
let recordPath: string;
const groups: number[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgebuild-leftovers-'));
  recordPath = join(dir, '.edgebuild-build.json');
});
afterEach(() => {
  for (const g of groups.splice(0)) {
    try {
      process.kill(-g, 'SIGKILL');
    } catch {
      // gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

/** A process group as a killed build leaves it: a shell and children, one of them deaf to SIGTERM. */
async function orphanGroup(): Promise<ChildProcess & { pid: number }> {
  const child = spawn('bash', ['-c', `(trap '' TERM; sleep 300) & sleep 300 & echo up; wait`], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  groups.push(child.pid!);
  await new Promise((r) => child.stdout!.once('data', r));
  await waitFor('the group', () => (processesInGroup(child.pid!).length >= 3 ? true : undefined), 5_000);
  return child as ChildProcess & { pid: number };
}

/** The identity of a process that has since ended: an edgebuild killed earlier. */
async function deadProcess(): Promise<ProcessIdentity> {
  const child = spawn('sleep', ['5'], { stdio: 'ignore' });
  const id = await waitFor('sleep', () => identify(child.pid!), 5_000);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  return id;
}

function writeRecord(edgebuild: ProcessIdentity, group: ProcessIdentity): void {
  writeFileSync(recordPath, JSON.stringify({ edgebuild, group, engine: 'E', containersBefore: [], startedAt: '2026-01-01T00:00:00.000Z' }));
}

test('the group a killed edgebuild left running is stopped (SIGKILL after the grace) and named', async () => {
  const group = await orphanGroup();
  writeRecord(await deadProcess(), identify(group.pid)!);
  const warnings: string[] = [];
  await sweepLeftoverBuild({ recordPath, graceMs: 300, onWarning: (w) => warnings.push(w) });
  expect(processesInGroup(group.pid)).toEqual([]);
  expect(warnings).toEqual([expect.stringMatching(new RegExp(`^stopped process group ${group.pid} that a killed edgebuild \\(pid \\d+\\) left running: \\d process\\(es\\) \\((bash|sleep)(, (bash|sleep))*\\) of its build started at 2026-01-01T00:00:00.000Z$`))]);
  // Without an engine to check, the record stays for the run that builds (it removes the containers).
  expect(existsSync(recordPath)).toBe(true);
});

test('a build whose edgebuild still runs is left alone', async () => {
  const group = await orphanGroup();
  const members = processesInGroup(group.pid);
  writeRecord(identify(process.pid)!, identify(group.pid)!);
  const warnings: string[] = [];
  await sweepLeftoverBuild({ recordPath, graceMs: 300, onWarning: (w) => warnings.push(w) });
  expect(processesInGroup(group.pid)).toEqual(members);
  expect(warnings).toEqual([]);
});

test('a group id that now names another process (pid reused) is left alone', async () => {
  const group = await orphanGroup();
  const members = processesInGroup(group.pid);
  const now = identify(group.pid)!;
  writeRecord(await deadProcess(), { ...now, startTime: now.startTime - 1 });
  const warnings: string[] = [];
  await sweepLeftoverBuild({ recordPath, graceMs: 300, onWarning: (w) => warnings.push(w) });
  expect(processesInGroup(group.pid)).toEqual(members);
  expect(warnings).toEqual([]);
});

test('an unreadable record is dropped without touching anything', async () => {
  writeFileSync(recordPath, '{"edgebuild":');
  await sweepLeftoverBuild({ recordPath, onWarning: () => expect.fail('no warning') });
  expect(existsSync(recordPath)).toBe(false);
});
