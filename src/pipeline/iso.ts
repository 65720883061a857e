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
import { cleanValue } from '../core/secrets.js';
import { applyPlan } from './apply.js';
import { runBuildStep, logPathFor, type BuildOutcome } from './build.js';
import { buildRecordPath, killGraceMs, sweepLeftoverBuild } from './leftovers.js';
import { buildKeyOf, builtResult, reportFailure, upToDateResult, type BuiltResult } from './outcome.js';
import { findUpToDate, publish, type Published } from './publish.js';
import { checkExit, isUki, verifyBuild, type VerifiedIso } from './verify.js';
import type { Manifest } from '../core/manifest.js';
import { userDataIsoPath } from '../core/verify.js';
import { version } from '../version.js';
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
  /** Hash of the build's inputs (see core/buildKey.ts). */
  buildKey?: string;
  /** Content hashes of the extra files, part of the key and the manifest. */
  fileHashes?: { to: string; sha256: string }[];
  /** --out already holds a verified build of these inputs. */
  upToDate?: Manifest;
  startedAt?: Date;
  build?: BuildOutcome;
  verified?: VerifiedIso;
  published?: Published;
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
  userData: { source: string; sourceSha256: string; path: string; sha256: string; imageRedirectWebhook: boolean };
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
    command: plan.command.map((c) => cleanValue(c, plan.secrets)),
    userData: { ...plan.userData, path: join(plan.canvosDir, 'user-data') },
    arg: Object.fromEntries(Object.entries(plan.arg).map(([k, v]) => [k, cleanValue(v, plan.secrets)])),
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

export type IsoResult = PlannedResult | BuiltResult;

export async function runIso({ options, stderr, onWarning }: IsoRun): Promise<IsoResult> {
  parseSkipIds(options.skipCheck ?? []); // a typo in --skip-check is exit 2 before anything slow
  const ctx: IsoContext = { warnings: [], startedAt: new Date() };
  const building = !options.dryRun;
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
            onWait: warn,
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
            argSecrets: inputs.argSecrets,
            userData: inputs.userData,
            files: inputs.files,
            configFile: inputs.configFile,
          });
        },
      },
      {
        // Before preflight and the checkout: an up-to-date check must not touch Docker or the checkout.
        title: 'Look for an up-to-date build in --out',
        enabled: () => building && !options.force,
        task: async (c, task) => {
          Object.assign(c, await buildKeyOf(c.plan!, options.signal, c.inputs!.cacheDir));
          c.upToDate = await findUpToDate(c.inputs!.outDir, c.buildKey!, c.plan!.privateIso);
          task.title = c.upToDate ? `Up to date: ${c.inputs!.outDir} holds a verified build of these inputs` : 'No up-to-date build in --out';
        },
      },
      {
        title: 'Check the build host',
        skip: (c) => Boolean(c.upToDate),
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
        skip: (c) => Boolean(c.upToDate),
        task: async (c, task) => {
          // Two runs sharing a work dir would replace each other's checkout mid-build.
          c.release = await acquireLock(join(c.inputs!.workDir, '.lock'), `edgebuild iso ${c.plan!.tag}`, {
            wait: options.wait !== false,
            onWait: (holder, until) => warn(`another edgebuild is using ${c.inputs!.workDir} (${holder}); waiting for it to finish, until ${until.toISOString()} at most`),
            ...(options.signal ? { signal: options.signal } : {}),
          });
          // A build a killed edgebuild left running here must not go on beside ours, in a replaced checkout.
          await sweepLeftoverBuild({ recordPath: buildRecordPath(c.inputs!.workDir), graceMs: killGraceMs(options.env), onWarning: warn });
          await applyPlan(c.plan!, c.source!.mirror, options.signal);
          task.title = `CanvOS checkout ready at ${c.plan!.canvosDir}`;
        },
      },
      {
        title: `Build with earthly.sh`,
        enabled: () => building,
        skip: (c) => Boolean(c.upToDate),
        task: async (c, task) => {
          const { inputs, plan } = c as Required<IsoContext>;
          if (!c.buildKey) Object.assign(c, await buildKeyOf(plan, options.signal, inputs.cacheDir));
          c.build = await runBuildStep(
            {
              plan,
              env: options.env,
              cacheDir: inputs.cacheDir,
              logPath: logPathFor(inputs.workDir, plan.tag, new Date()),
              recordPath: buildRecordPath(inputs.workDir),
              stderr,
              ...(options.signal ? { signal: options.signal } : {}),
              wait: options.wait !== false,
              onWarning: warn,
              // How long earthly.sh's tree gets between SIGTERM and SIGKILL (tests shorten it).
              graceMs: killGraceMs(options.env),
              // Another edgebuild we waited for may have just published these very inputs.
              stillNeeded: async () => options.force === true || !(c.upToDate = await findUpToDate(inputs.outDir, c.buildKey!, plan.privateIso)),
            },
            task,
          );
          if (!('skipped' in c.build)) checkExit(c.build, c.build.logPath);
        },
      },
      {
        title: 'Verify the ISO (exit status, checksum, embedded user-data)',
        enabled: () => building,
        skip: (c) => Boolean(c.upToDate),
        task: async (c, task) => {
          const build = c.build!;
          if ('skipped' in build) return;
          c.verified = await verifyBuild({ plan: c.plan!, run: build, logPath: build.logPath, ...(options.signal ? { signal: options.signal } : {}) });
          task.title = `Verified ${c.verified.path}: sha256 ${c.verified.sha256}, user-data embedded, webhook ${c.plan!.userData.imageRedirectWebhook ? 'kept on' : 'off'}`;
        },
      },
      {
        title: 'Publish into --out',
        enabled: () => building,
        skip: (c) => Boolean(c.upToDate),
        task: async (c, task) => {
          const { inputs, plan, verified } = c as Required<IsoContext>;
          const finishedAt = new Date();
          c.published = await publish({
            outDir: inputs.outDir,
            isoName: plan.isoName,
            iso: verified,
            secrets: plan.secrets,
            isoMode: plan.privateIso ? 0o600 : 0o644,
            ...(options.signal ? { signal: options.signal } : {}),
            manifest: {
              edgebuild: { version },
              buildKey: c.buildKey!,
              canvos: { repo: displayUrl(plan.repo), tag: plan.tag, commit: plan.commit, peVersion: plan.peVersion ?? null },
              target: plan.target,
              command: plan.command,
              arg: plan.arg,
              userData: { sha256: plan.userData.sha256, sourceSha256: plan.userData.sourceSha256, imageRedirectWebhook: plan.userData.imageRedirectWebhook, isoPath: userDataIsoPath(isUki(plan)) },
              files: c.fileHashes ?? [],
              preflight: c.preflight?.checks ?? null,
              startedAt: c.startedAt!.toISOString(),
              finishedAt: finishedAt.toISOString(),
              durationMs: finishedAt.getTime() - c.startedAt!.getTime(),
            },
          });
          task.title = `Published ${c.published.artifacts.map((a) => a.path).join(', ')} and ${c.published.manifestPath}`;
        },
      },
    ],
    listrOptions<IsoContext>(stderr, options.env),
  );
  try {
    await tasks.run(ctx);
  } catch (error) {
    reportFailure(stderr, options.env, error);
    throw error;
  } finally {
    await ctx.release?.();
  }
  if (!building) return plannedResult(ctx.plan!, ctx.warnings, ctx.preflight?.checks);
  if (ctx.upToDate) return upToDateResult(ctx.upToDate, ctx.inputs!.outDir, ctx.startedAt!, ctx.warnings);
  return builtResult(ctx as Required<IsoContext>);
}
