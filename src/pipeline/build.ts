/**
 * Step 6: run the checkout's own `./earthly.sh <target> --ARCH=...`, one
 * build per Docker engine, showing the current Earthly step and the elapsed
 * time; under GitHub Actions the log is folded into a group. Containers the
 * build leaves behind (a stray `earthly-buildkitd` breaks the next build)
 * are removed however it ends.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { InterruptedError, RuntimeError } from '../errors.js';
import { buildEnv } from '../core/build/env.js';
import { sha256 } from '../core/digest.js';
import { StepTracker, formatElapsed } from '../core/build/output.js';
import { closeGroup, openGroup } from '../core/github/workflowCommands.js';
import type { Plan } from '../core/plan.js';
import { connectDocker, type DockerClient } from '../adapters/docker.js';
import { engineId, listContainers, startedByBuild } from '../adapters/dockerBuild.js';
import { removeTree, withLock } from '../adapters/files.js';
import { runLogged, type RunLoggedResult } from '../adapters/proc.js';
import { buildNeedsPty } from '../adapters/pty.js';
import type { ProgressStream, TaskReporter } from './renderer.js';
import { forgetBuild, recordBuild, removeLeftContainers, sweepLeftoverBuild } from './leftovers.js';

export interface BuildStepOptions {
  plan: Plan;
  env: Record<string, string | undefined>;
  cacheDir: string;
  logPath: string;
  /** Where the running build is recorded for a later run, should edgebuild die (see leftovers.ts). */
  recordPath: string;
  stderr: ProgressStream;
  signal?: AbortSignal;
  /** Wait for another build on the same engine (default) or fail at once. */
  wait: boolean;
  onWarning: (warning: string) => void;
  /** Asked again once the lock is held: another build may just have made ours unnecessary. */
  stillNeeded?: () => Promise<boolean>;
  graceMs?: number;
}

export type { TaskReporter } from './renderer.js';

export type BuildOutcome = (RunLoggedResult & { logPath: string; removedContainers: string[] }) | { skipped: true };

export function logPathFor(workDir: string, tag: string, at: Date): string {
  const stamp = at.toISOString().replace(/[:.]/g, '-');
  return join(workDir, 'logs', `build-${tag.replace(/[^A-Za-z0-9._-]/g, '_')}-${stamp}.log`);
}

export function lockPathFor(cacheDir: string, engine: string): string {
  return join(cacheDir, 'locks', `docker-${sha256(engine).slice(0, 16)}.lock`);
}

type Mode = 'tty' | 'plain' | 'github';

export function progressMode(stderr: ProgressStream, env: Record<string, string | undefined>): Mode {
  if (env.GITHUB_ACTIONS === 'true') return 'github';
  return stderr.isTTY && env.CI !== 'true' && env.TERM !== 'dumb' ? 'tty' : 'plain';
}

/** Live progress: a status line on a TTY, one plain line per step change otherwise, the log itself under GitHub Actions. */
function progress(mode: Mode, task: TaskReporter, stderr: ProgressStream, started: number) {
  const steps = new StepTracker();
  let shown: string | undefined;
  let lastShownAt = 0;
  const show = (): void => {
    const now = Date.now();
    const step = steps.current();
    const text = `${formatElapsed(now - started)} ${step ?? 'starting earthly.sh'}`;
    if (mode === 'tty') task.output = text;
    // Plain lines: on a new step (at most one per 2 s), and a heartbeat each minute.
    else if (mode === 'plain' && ((step !== shown && now - lastShownAt >= 2_000) || now - lastShownAt >= 60_000)) {
      task.output = text;
      shown = step;
      lastShownAt = now;
    }
  };
  const token = randomBytes(12).toString('hex');
  const timer = setInterval(show, 1_000);
  return {
    start(title: string): void {
      if (mode === 'github') stderr.write(openGroup(title, token));
      show();
    },
    block(block: Buffer): void {
      if (mode === 'github') stderr.write(block.toString('utf8'));
      else steps.feed(block);
    },
    stop(): void {
      clearInterval(timer);
      if (mode === 'github') stderr.write(closeGroup(token));
      else show();
    },
  };
}

export async function runBuildStep(options: BuildStepOptions, task: TaskReporter): Promise<BuildOutcome> {
  const { plan, signal } = options;
  const docker = connectDocker(options.env);
  let engine: string;
  try {
    engine = await engineId(docker, signal);
  } catch (error) {
    if (signal?.aborted) throw new InterruptedError();
    throw error; // DockerUnavailable says what is wrong and how to fix it
  }
  const lockPath = lockPathFor(options.cacheDir, engine);
  const description = `building CanvOS ${plan.tag} in ${plan.canvosDir}`;
  try {
    return await withLock(
      lockPath,
      description,
      {
        wait: options.wait,
        ...(signal ? { signal } : {}),
        onWait: (holder, until) => {
          const line = `another edgebuild is building on this Docker engine (${holder}); waiting for it to finish, until ${until.toISOString()} at most (--no-wait fails instead)`;
          options.onWarning(line);
          task.output = line;
        },
      },
      async () => {
        if (options.stillNeeded && !(await options.stillNeeded())) return { skipped: true as const };
        return await buildLocked(options, task, docker, engine);
      },
    );
  } catch (error) {
    if (signal?.aborted) throw new InterruptedError();
    if (error instanceof RuntimeError && error.code === 'locked') {
      throw new RuntimeError(`another edgebuild is building on this Docker engine (${lockPath})`, { code: 'locked', fix: 'wait for it to finish, or run without --no-wait to queue behind it' });
    }
    throw error;
  }
}

async function buildLocked(options: BuildStepOptions, task: TaskReporter, docker: DockerClient, engine: string): Promise<BuildOutcome> {
  const { plan, signal } = options;
  // With the engine to ourselves: a killed run's containers go before they are taken for ours.
  await sweepLeftoverBuild({ recordPath: options.recordPath, graceMs: options.graceMs, onWarning: options.onWarning, docker: { client: docker, engine } });
  // A stale build/ from an earlier run must never be mistaken for this build's output.
  await removeTree(join(plan.canvosDir, 'build'));
  const before = new Set((await listContainers(docker)).map((c) => c.id));
  const { env, secrets } = buildEnv(plan.arg, options.env, plan.secrets);
  const pty = await buildNeedsPty(plan.canvosDir, plan.arg, env); // the proxy path's `docker exec -it` (adapters/pty.ts)
  const started = Date.now();
  const mode = progressMode(options.stderr, options.env);
  const view = progress(mode, task, options.stderr, started);
  task.title = `Build: (cd ${plan.canvosDir} && ${plan.command.join(' ')}) — log ${options.logPath}`;
  view.start(`earthly.sh log: ${plan.command.join(' ')} (${options.logPath})`);
  let run: RunLoggedResult;
  let recorded: Promise<void> | undefined;
  try {
    run = await runLogged({
      command: plan.command,
      cwd: plan.canvosDir,
      env,
      logPath: options.logPath,
      secrets,
      ...(signal ? { signal } : {}),
      ...(options.graceMs !== undefined ? { graceMs: options.graceMs } : {}),
      onBlock: (b) => view.block(b),
      pty,
      onSpawn: (pgid) => {
        recorded = recordBuild(options.recordPath, pgid, engine, before);
        recorded.catch(() => undefined); // awaited below; only a later run would miss it
      },
    });
  } finally {
    view.stop();
  }
  await recorded?.catch((error: unknown) => options.onWarning(`could not record the build in ${options.recordPath}: ${error instanceof Error ? error.message : String(error)}`));
  // The process tree is gone; now its containers. Done even after Ctrl-C.
  const removed: string[] = [];
  try {
    removed.push(...(await removeLeftContainers(docker, startedByBuild(before, await listContainers(docker)), 'the build', options.onWarning)));
    await forgetBuild(options.recordPath); // its processes and containers are gone: nothing left to sweep
  } catch (error) {
    options.onWarning(`could not list the build's containers: ${error instanceof Error ? error.message : String(error)}; check docker ps -a for earthly-buildkitd`);
  }
  if (run.aborted) throw new InterruptedError();
  task.title = `${run.exitCode === 0 ? 'Built' : 'Build ended'} in ${formatElapsed(run.durationMs)} (earthly.sh exit ${run.exitCode ?? run.signal ?? '?'}; log ${options.logPath})`;
  return { ...run, logPath: options.logPath, removedContainers: removed };
}
