/**
 * The `iso` command as a list of steps over one context (DESIGN.md):
 * load → resolve → plan → preflight → apply → (build → verify → publish).
 */
import { join } from 'node:path';
import { Listr } from 'listr2';
import { makePlan, type Plan } from '../core/plan.js';
import { parseSkipIds, preflightSettings, type Check } from '../core/preflight.js';
import { acquireLock } from '../adapters/files.js';
import { displayUrl } from '../adapters/git.js';
import { applyPlan } from './apply.js';
import { loadInputs, type Inputs } from './inputs.js';
import type { IsoOptions } from './options.js';
import { assertPreflight, runPreflight, summarize, type PreflightReport } from './preflight.js';
import { listrOptions, type ProgressStream } from './renderer.js';
import { resolveSource, type Source } from './source.js';

export interface IsoContext {
  inputs?: Inputs;
  source?: Source;
  plan?: Plan;
  preflight?: PreflightReport;
  warnings: string[];
  /** Releases the work-dir lock taken before the checkout is touched. */
  release?: () => Promise<void>;
}

export interface PlannedResult {
  status: 'planned';
  tag: string;
  commit: string;
  peVersion: string | null;
  repo: string;
  canvosDir: string;
  target: string;
  command: string[];
  userData: { source: string; path: string; sha256: string; imageRedirectWebhook: boolean };
  arg: Record<string, string>;
  checks: Check[];
  warnings: string[];
}

export function plannedResult(plan: Plan, warnings: string[], checks: Check[] = []): PlannedResult {
  return {
    status: 'planned',
    tag: plan.tag,
    commit: plan.commit,
    peVersion: plan.peVersion ?? null,
    repo: displayUrl(plan.repo),
    canvosDir: plan.canvosDir,
    target: plan.target,
    command: plan.command,
    userData: { ...plan.userData, path: join(plan.canvosDir, 'user-data') },
    arg: plan.arg,
    checks,
    warnings,
  };
}

export interface IsoRun {
  options: IsoOptions;
  stderr: ProgressStream;
  /** Called for each warning as soon as it is known. */
  onWarning?: (warning: string) => void;
}

export async function runIso({ options, stderr, onWarning }: IsoRun): Promise<PlannedResult> {
  parseSkipIds(options.skipCheck ?? []); // a typo in --skip-check is exit 2 before anything slow
  const ctx: IsoContext = { warnings: [] };
  const warn = (w: string): void => {
    ctx.warnings.push(w);
    onWarning?.(w);
  };
  const tasks = new Listr<IsoContext>(
    [
      {
        title: 'Load build config and user-data',
        task: async (c) => {
          c.inputs = await loadInputs(options);
          c.inputs.warnings.forEach(warn);
        },
      },
      {
        title: 'Resolve CanvOS source',
        task: async (c, task) => {
          const inputs = c.inputs!;
          c.source = await resolveSource(inputs.repo, inputs.tag, inputs.cacheDir, {
            ...(options.signal ? { signal: options.signal } : {}),
            onRetry: (attempt, error) => (task.output = `retry ${attempt}: ${error}`),
          });
          c.source.warnings.forEach(warn);
          task.title = `CanvOS ${c.source.tag} at ${c.source.commit.slice(0, 12)} (PE_VERSION ${c.source.peVersion ?? 'unknown'}) from ${displayUrl(inputs.repo)}`;
        },
      },
      {
        title: 'Plan the build',
        task: (c) => {
          const { inputs, source } = c as Required<IsoContext>;
          c.plan = makePlan({
            repo: inputs.repo,
            tag: source.tag,
            commit: source.commit,
            peVersion: source.peVersion,
            canvosDir: join(inputs.workDir, 'canvos'),
            target: inputs.target,
            arg: inputs.arg,
            userData: inputs.userData,
            files: inputs.files,
            configFile: inputs.configFile,
          });
        },
      },
      {
        title: 'Check the build host',
        task: async (c, task) => {
          const { inputs } = c as Required<IsoContext>;
          c.preflight = await runPreflight({
            ...preflightSettings({ ...inputs.config, arg: inputs.arg }),
            workDir: inputs.workDir,
            skip: options.skipCheck,
            env: options.env,
            signal: options.signal,
            onProgress: (line) => (task.output = line),
          });
          c.preflight.warnings.forEach(warn);
          task.title = `Build host checked: ${summarize(c.preflight.checks)}`;
          assertPreflight(c.preflight);
        },
      },
      {
        title: 'Prepare the CanvOS checkout',
        task: async (c, task) => {
          // Two runs sharing a work dir would replace each other's checkout mid-build.
          c.release = await acquireLock(join(c.inputs!.workDir, '.lock'), `edgebuild iso ${c.plan!.tag}`, {
            wait: options.wait !== false,
            onWait: (holder) => (task.output = `waiting for another edgebuild using ${c.inputs!.workDir}: ${holder}`),
            ...(options.signal ? { signal: options.signal } : {}),
          });
          await applyPlan(c.plan!, c.source!.mirror, options.signal);
          task.title = `CanvOS checkout ready at ${c.plan!.canvosDir}`;
        },
      },
    ],
    listrOptions<IsoContext>(stderr, options.env),
  );
  try {
    await tasks.run(ctx);
  } finally {
    await ctx.release?.();
  }
  return plannedResult(ctx.plan!, ctx.warnings, ctx.preflight?.checks);
}
