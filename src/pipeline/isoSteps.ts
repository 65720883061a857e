/**
 * The steps of the `iso` command (DESIGN.md), each a function of exactly what
 * it needs, returning its result; runIso (iso.ts) is the list of them.
 */
import { join } from 'node:path';
import { InternalError } from '../errors.js';
import type { Manifest } from '../core/manifest.js';
import { makePlan, type Plan } from '../core/plan.js';
import { parseSkipIds, preflightSettings } from '../core/preflight/checks.js';
import { onlyUserDataDiffers } from '../core/remaster.js';
import { cleanValue } from '../core/secrets.js';
import { targetKind } from '../core/targets.js';
import { isUki, userDataIsoPath } from '../core/verify.js';
import { acquireLock } from '../adapters/files.js';
import { displayUrl } from '../adapters/git.js';
import { version } from '../version.js';
import type { BuildOutcome } from './build.js';
import { loadInputs, type Inputs } from './inputs.js';
import type { IsoOptions } from './options.js';
import { buildKeyOf } from './outcome.js';
import type { PreflightReport } from './preflight.js';
import { findUpToDate, publish, publishSet, readManifestIn, type Published, type PublishSetInput } from './publish.js';
import { StepProgress, type ProgressStream, type TaskReporter } from './renderer.js';
import { mirroredSource, resolveSource, type Source } from './source.js';
import type { VerifiedOutputs } from './targetOutputs.js';
import type { VerifiedIso } from './verify.js';

export type Warn = (warning: string) => void;

/** The build key and the content hashes of the extra files it was made from (see core/build/key.ts). */
export type Keyed = Awaited<ReturnType<typeof buildKeyOf>>;

/** A build that ran (whatever its exit status). */
export type FinishedBuild = Exclude<BuildOutcome, { skipped: true }>;

const withSignal = (signal: AbortSignal | undefined): { signal?: AbortSignal } => (signal ? { signal } : {});

/** What every build command starts with: its start time, the warnings told as they come, one listr2 task per step. */
export function beginRun(options: Pick<IsoOptions, 'skipCheck' | 'env'>, stderr: ProgressStream, onWarning: Warn | undefined): { startedAt: Date; warnings: string[]; warn: Warn; steps: StepProgress } {
  parseSkipIds(options.skipCheck ?? []); // a typo in --skip-check is exit 2 before anything slow
  const warnings: string[] = [];
  const warn = (w: string): void => {
    warnings.push(w);
    onWarning?.(w);
  };
  return { startedAt: new Date(), warnings, warn, steps: new StepProgress(stderr, options.env) };
}

/** Whether the first published artifact (the ISO, the MAAS image) embeds credentials; keys carry their own modes. */
function privateFirstArtifact(plan: Plan): boolean {
  return plan.privateIso && targetKind(plan.target) !== 'uki-genkey';
}

/** Step 1. */
export async function loadStep(options: IsoOptions, warn: Warn, userDataOptional = false): Promise<Inputs> {
  const inputs = await loadInputs(options, userDataOptional);
  inputs.warnings.forEach(warn);
  return inputs;
}

/** A fetch retried with backoff says so under its task. */
const retryOutput =
  (task: TaskReporter) =>
  (attempt: number, error: string): void => {
    if (attempt === 1) task.output = `retrying the fetch with backoff (2 s, 5 s, 15 s): ${error}`;
  };

/** Step 2. */
export async function resolveStep(inputs: Pick<Inputs, 'repo' | 'tag' | 'cacheDir'>, run: { signal?: AbortSignal | undefined; warn: Warn }, task: TaskReporter): Promise<Source> {
  const source = await resolveSource(inputs.repo, inputs.tag, inputs.cacheDir, {
    ...withSignal(run.signal),
    onRetry: retryOutput(task),
    onWait: run.warn,
  });
  source.warnings.forEach(run.warn);
  task.title = `CanvOS ${source.tag} at ${source.commit.slice(0, 12)} (PE_VERSION ${source.peVersion ?? 'unknown'}) from ${displayUrl(inputs.repo)}`;
  return source;
}

/** Step 3: pure. */
export function planStep(
  inputs: Pick<Inputs, 'repo' | 'workDir' | 'target' | 'arg' | 'argSecrets' | 'userData' | 'files' | 'configFile'>,
  source: Pick<Source, 'tag' | 'commit' | 'peVersion'>,
): Plan {
  return makePlan({
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
}

/** Before preflight and the checkout: an up-to-date check must not touch Docker or the checkout. */
export async function upToDateStep(
  plan: Plan,
  { outDir, cacheDir }: Pick<Inputs, 'outDir' | 'cacheDir'>,
  signal: AbortSignal | undefined,
  warn: Warn,
  task: TaskReporter,
): Promise<Keyed & { upToDate: Manifest | undefined }> {
  // Content hashes of `files:` are cached in the cache dir: a rerun hashes only what changed.
  const keyed = await buildKeyOf(plan, signal, cacheDir);
  const upToDate = await findUpToDate(outDir, keyed.buildKey, privateFirstArtifact(plan));
  task.title = upToDate ? `Up to date: ${outDir} holds a verified build of these inputs` : 'No up-to-date build in --out';
  if (!upToDate) await suggestRemaster(plan, outDir, keyed.fileHashes, warn);
  return { ...keyed, upToDate };
}

/** A build whose user-data alone differs from the one in --out is a remaster, not an hour of building: say so. */
async function suggestRemaster(plan: Plan, outDir: string, fileHashes: Keyed['fileHashes'], warn: Warn): Promise<void> {
  const published = await readManifestIn(outDir);
  const iso = published?.artifacts[0];
  if (!published || !iso || targetKind(plan.target) !== 'iso') return;
  // The manifest holds .arg values with secrets masked; compare them masked alike.
  const arg = Object.fromEntries(Object.entries(plan.arg).map(([k, v]) => [k, cleanValue(v, plan.secrets)]));
  const planned = { commit: plan.commit, target: plan.target, arg, files: fileHashes, userDataSha256: plan.userData.sha256 };
  if (!onlyUserDataDiffers(published, planned)) return;
  warn(`only the user-data differs from the build published in ${outDir}: \`edgebuild remaster ${join(outDir, iso.name)} --user-data ${plan.userData.source} --out <dir>\` makes that ISO in seconds, without a build`);
}

/** Step 4. */
export async function preflightStep(
  inputs: Pick<Inputs, 'config' | 'arg' | 'workDir'>,
  options: Pick<IsoOptions, 'skipCheck' | 'env' | 'signal' | 'dryRun'>,
  warn: Warn,
  task: TaskReporter,
): Promise<PreflightReport> {
  const { assertPreflight, runPreflight, summarize } = await import('./preflight.js');
  const report = await runPreflight({
    ...preflightSettings({ ...inputs.config, arg: inputs.arg }),
    workDir: inputs.workDir,
    skip: options.skipCheck,
    env: options.env,
    signal: options.signal,
    onProgress: (line) => (task.output = line),
  });
  report.warnings.forEach(warn);
  task.title = `Build host checked: ${summarize(report.checks)}`;
  // A plan is useful on a laptop (as `terraform plan` is): only a build needs the build host.
  if (options.dryRun) {
    for (const c of report.checks.filter((c) => c.status === 'fail')) warn(`preflight check "${c.id}" fails (a build would stop here, exit 3): ${c.message}`);
    return report;
  }
  assertPreflight(report);
  return report;
}

/** Step 5, under the work dir's lock; returns the lock's release, for the end of the run. */
export async function checkoutStep(
  input: { plan: Plan; dirs: Pick<Inputs, 'workDir' | 'cacheDir'>; source: Source },
  options: Pick<IsoOptions, 'wait' | 'env' | 'signal'>,
  warn: Warn,
  task: TaskReporter,
): Promise<() => Promise<void>> {
  const { plan, source } = input;
  const { workDir } = input.dirs;
  // A rerun resolved the tag without fetching: the clone needs the mirror's tags current.
  const mirrorWarnings = await mirroredSource(plan.repo, input.dirs.cacheDir, source, { ...withSignal(options.signal), onRetry: retryOutput(task), onWait: warn });
  mirrorWarnings.forEach(warn);
  // Two runs sharing a work dir would replace each other's checkout mid-build.
  const release = await acquireLock(join(workDir, '.lock'), `edgebuild iso ${plan.tag}`, {
    wait: options.wait !== false,
    onWait: (holder, until) => warn(`another edgebuild is using ${workDir} (${holder}); waiting for it to finish, until ${until.toISOString()} at most`),
    ...withSignal(options.signal),
  });
  try {
    // A build a killed edgebuild left running here must not go on beside ours, in a replaced checkout.
    const [{ buildRecordPath, killGraceMs, sweepLeftoverBuild }, { applyPlan }] = await Promise.all([import('./leftovers.js'), import('./apply.js')]);
    await sweepLeftoverBuild({ recordPath: buildRecordPath(workDir), graceMs: killGraceMs(options.env), onWarning: warn });
    await applyPlan(plan, source.mirror, options.signal);
  } catch (error) {
    await release();
    throw error;
  }
  task.title = `CanvOS checkout ready at ${plan.canvosDir}`;
  return release;
}

/**
 * Step 6: a build that exited non-zero fails here. While it waited for the
 * engine, another edgebuild may have published these very inputs: then it
 * returns what that one published instead.
 */
export async function buildStep(
  input: { plan: Plan; dirs: Pick<Inputs, 'cacheDir' | 'workDir' | 'outDir'>; buildKey: string },
  options: Pick<IsoOptions, 'env' | 'signal' | 'wait' | 'force'>,
  progress: { stderr: ProgressStream; warn: Warn },
  task: TaskReporter,
): Promise<{ build: FinishedBuild } | { upToDate: Manifest }> {
  const { plan, dirs } = input;
  const waited: { upToDate?: Manifest | undefined } = {};
  const [{ logPathFor, runBuildStep }, { buildRecordPath, killGraceMs }, { checkExit }] = await Promise.all([import('./build.js'), import('./leftovers.js'), import('./verify.js')]);
  const build = await runBuildStep(
    {
      plan,
      env: options.env,
      cacheDir: dirs.cacheDir,
      logPath: logPathFor(dirs.workDir, plan.tag, new Date()),
      recordPath: buildRecordPath(dirs.workDir),
      stderr: progress.stderr,
      ...withSignal(options.signal),
      wait: options.wait !== false,
      onWarning: progress.warn,
      // How long earthly.sh's tree gets between SIGTERM and SIGKILL (tests shorten it).
      graceMs: killGraceMs(options.env),
      stillNeeded: async () => options.force === true || !(waited.upToDate = await findUpToDate(dirs.outDir, input.buildKey, privateFirstArtifact(plan))),
    },
    task,
  );
  if ('skipped' in build) {
    if (!waited.upToDate) throw new InternalError('the build was skipped without an up-to-date build in --out');
    return { upToDate: waited.upToDate };
  }
  checkExit(build, build.logPath);
  return { build };
}

/** Step 7. */
export async function verifyStep(plan: Plan, build: FinishedBuild, signal: AbortSignal | undefined, task: TaskReporter): Promise<VerifiedIso> {
  const { verifyBuild } = await import('./verify.js');
  const verified = await verifyBuild({ plan, run: build, logPath: build.logPath, ...withSignal(signal) });
  task.title = `Verified ${verified.path}: sha256 ${verified.sha256}, user-data embedded, webhook ${plan.userData.imageRedirectWebhook ? 'kept on' : 'off'}`;
  return verified;
}

type PublishStepInput = { plan: Plan; outDir: string; keyed: Keyed; preflight: PreflightReport; startedAt: Date };

/** What manifest.json records of a build, whatever it made. */
function manifestOf(input: PublishStepInput): PublishSetInput['manifest'] {
  const { plan, startedAt } = input;
  const finishedAt = new Date();
  return {
    edgebuild: { version },
    buildKey: input.keyed.buildKey,
    canvos: { repo: displayUrl(plan.repo), tag: plan.tag, commit: plan.commit, peVersion: plan.peVersion ?? null },
    target: plan.target,
    command: plan.command,
    arg: plan.arg,
    userData: { sha256: plan.userData.sha256, sourceSha256: plan.userData.sourceSha256, imageRedirectWebhook: plan.userData.imageRedirectWebhook, isoPath: userDataIsoPath(isUki(plan)) },
    files: input.keyed.fileHashes,
    preflight: input.preflight.checks,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - startedAt.getTime(),
  };
}

function titlePublished(task: TaskReporter, published: Published): Published {
  task.title = `Published ${published.artifacts.map((a) => a.path).join(', ')} and ${published.manifestPath}`;
  return published;
}

/** Step 8. */
export async function publishStep(input: PublishStepInput & { verified: VerifiedIso }, signal: AbortSignal | undefined, task: TaskReporter): Promise<Published> {
  const { plan } = input;
  const published = await publish({
    outDir: input.outDir,
    isoName: plan.isoName,
    iso: input.verified,
    secrets: plan.secrets,
    isoMode: plan.privateIso ? 0o600 : 0o644,
    ...withSignal(signal),
    manifest: manifestOf(input),
  });
  return titlePublished(task, published);
}

/** Steps 7 and 8 for +uki-genkey and +maas-image: their own outputs verified, then published like the ISO. */
export async function verifyOutputsStep(plan: Plan, build: FinishedBuild, signal: AbortSignal | undefined, task: TaskReporter): Promise<VerifiedOutputs> {
  const run = { run: build, logPath: build.logPath, ...withSignal(signal) };
  const { verifyMaasImage, verifyUkiKeys } = await import('./targetOutputs.js');
  const verified = targetKind(plan.target) === 'uki-genkey' ? await verifyUkiKeys(plan, run) : await verifyMaasImage(plan, run);
  task.title = `Verified ${verified.checks.filter((c) => c.ok && c.id !== 'exit-status').map((c) => c.message).join('; ')}`;
  return verified;
}

export async function publishOutputsStep(input: PublishStepInput & { verified: VerifiedOutputs }, signal: AbortSignal | undefined, task: TaskReporter): Promise<Published> {
  const { files, texts } = input.verified;
  const published = await publishSet({ outDir: input.outDir, files, texts, secrets: input.plan.secrets, ...withSignal(signal), manifest: manifestOf(input) });
  return titlePublished(task, published);
}
