/**
 * `edgebuild provider-images` as a list of typed steps (docs/development.md),
 * sharing iso's load → resolve → tag rules → plan → preflight → checkout →
 * build (lock, supervisor) and adding its own: versions and names from the
 * tag, the images verified on the engine, pushed, published.
 */
import { providerBuildKey, providerTarget, type ProviderImage } from '../core/providerImages.js';
import { cleanValue } from '../core/secrets.js';
import type { IsoOptions } from './options.js';
import { buildKeyOf, reportFailure } from './outcome.js';
import type { ProgressStream } from './renderer.js';
import { checkedTagRules } from './tagRules.js';
import { generateRegistriesFiles } from './registries.js';
import type { Distribution } from '../core/registries/types.js';
import { beginRun, buildStep, checkoutStep, loadStep, planStep, preflightStep, resolveStep } from './isoSteps.js';
import { buildCommands, credentialCache, findUpToDateImages, publishImagesStep, pushOneStep, selectStep, verifyImagesStep, type ProviderRecord } from './providerSteps.js';

export interface ProviderImagesOptions extends Omit<IsoOptions, 'target' | 'userData' | 'keepWebhook'> {
  /** --k8s-version (repeatable); empty: every version the tag lists for K8S_DISTRIBUTION. */
  k8sVersion?: string[];
  push?: boolean;
  userData?: string;
  /** A registries file (`edgebuild registries`): its stages join the OS layer's values in os-pack.yaml. */
  registries?: string;
}

export interface ProviderImagesResult {
  status: 'planned' | 'built' | 'up-to-date';
  tag: string;
  commit: string;
  peVersion: string | null;
  target: string;
  k8sDistribution: string;
  versions: string[];
  /** The build commands, run in the checkout (planned), one per named version or one for all. */
  commands: string[][];
  images: ProviderImage[] | { k8sVersion: string; reference: string }[];
  pushed: boolean;
  record: string | null;
  osPack: string | null;
  logs: string[];
  buildKey: string;
  durationMs: number;
  warnings: string[];
}

const TITLE = {
  load: 'Load build config',
  resolve: 'Resolve CanvOS source',
  registries: 'Generate the registries stages for the OS layer',
  tagRules: "Check .arg against the tag's own rules",
  select: 'Choose Kubernetes versions and image names',
  plan: 'Plan the build',
  upToDate: 'Look for up-to-date provider images',
  preflight: 'Check the build host',
  checkout: 'Prepare the CanvOS checkout',
  build: 'Build provider images with earthly.sh',
  verify: 'Verify the images on the Docker engine',
  push: 'Push',
  publish: 'Publish into --out',
};

export async function runProviderImages({ options, stderr, onWarning }: { options: ProviderImagesOptions; stderr: ProgressStream; onWarning?: (w: string) => void }): Promise<ProviderImagesResult> {
  const { startedAt, warnings, warn, steps } = beginRun(options, stderr, onWarning);
  const { signal, env } = options;
  const push = options.push === true;
  try {
    const loaded = await steps.run(TITLE.load, () => loadStep({ ...options, target: undefined }, warn, true));
    // The target follows K8S_DISTRIBUTION (kubeadm-fips has its own), whatever the config's `target:` says.
    const inputs = { ...loaded, target: providerTarget(loaded.arg) };
    const stages = options.registries === undefined ? undefined : await steps.run(TITLE.registries, () => registriesStages(options.registries ?? '', inputs.arg.K8S_DISTRIBUTION, options.cwd, warn));
    const source = await steps.run(TITLE.resolve, (task) => resolveStep(inputs, { signal, warn }, task));
    const { rules, argSecrets } = await steps.run(TITLE.tagRules, () => checkedTagRules(inputs, source, env, warn));
    const selection = await steps.run(TITLE.select, (task) => selectStep({ arg: inputs.arg, rules, requested: options.k8sVersion ?? [], peVersion: source.peVersion }, source, warn, task));
    const plan = await steps.run(TITLE.plan, () => planStep({ ...inputs, argSecrets }, source));
    const commands = buildCommands(plan, selection);
    const keyed = await buildKeyOf(plan, signal, inputs.cacheDir);
    const buildKey = providerBuildKey(keyed.buildKey, selection.versions, push);
    const result = (status: ProviderImagesResult['status'], images: ProviderImagesResult['images'], files: { record: string | null; osPack: string | null }, logs: string[] = []): ProviderImagesResult => ({
      status,
      tag: plan.tag,
      commit: plan.commit,
      peVersion: plan.peVersion ?? null,
      target: plan.target,
      k8sDistribution: plan.arg.K8S_DISTRIBUTION ?? '',
      versions: selection.versions,
      commands: commands.map((c) => c.map((a) => cleanValue(a, plan.secrets))),
      images,
      pushed: push && status !== 'planned',
      ...files,
      logs,
      buildKey,
      durationMs: Date.now() - startedAt.getTime(),
      warnings,
    });
    const fromRecord = (record: ProviderRecord): ProviderImagesResult => result('up-to-date', record.images, { record: `${inputs.outDir}/provider-images.json`, osPack: `${inputs.outDir}/${record.osPack}` });
    if (!options.dryRun && !options.force) {
      const found = await steps.run(TITLE.upToDate, async (task) => {
        const record = await findUpToDateImages(inputs.outDir, buildKey, env, signal);
        task.title = record ? `Up to date: ${inputs.outDir} records these images, still on the engine${push ? ' and in the registry' : ''}` : 'No up-to-date provider images in --out';
        return record;
      });
      if (found) {
        await steps.skip([TITLE.preflight, TITLE.checkout, TITLE.build, TITLE.verify, TITLE.publish]);
        return fromRecord(found);
      }
    }
    await steps.run(TITLE.preflight, (task) => preflightStep(inputs, options, warn, task));
    const release = await steps.run(TITLE.checkout, (task) => checkoutStep({ plan, dirs: inputs, source }, options, warn, task));
    try {
      if (options.dryRun) return result('planned', selection.references, { record: null, osPack: null });
      // Anything on the engine under these names before this moment was not made by this build.
      const buildStartedAt = new Date();
      const logs: string[] = [];
      for (const [i, command] of commands.entries()) {
        const title = commands.length === 1 ? TITLE.build : `${TITLE.build} (${i + 1}/${commands.length}: Kubernetes ${selection.versions[i] ?? '?'})`;
        // force: the iso manifest's up-to-date check does not apply; ours ran above.
        const built = await steps.run(title, (task) => buildStep({ plan: { ...plan, command }, dirs: inputs, buildKey }, { ...options, force: true }, { stderr, warn }, task));
        if ('build' in built) logs.push(built.build.logPath);
      }
      let images = await steps.run(TITLE.verify, (task) => verifyImagesStep(selection, buildStartedAt, env, signal, logs, task));
      if (push) {
        const credentials = credentialCache(env, signal);
        const pushed: ProviderImage[] = [];
        for (const image of images) pushed.push(await steps.run(`${TITLE.push} ${image.reference}`, (task) => pushOneStep(image, credentials, env, signal, task)));
        images = pushed;
      }
      const published = await steps.run(TITLE.publish, (task) => publishImagesStep({ plan, outDir: inputs.outDir, buildKey, selection, images, pushed: push, startedAt, ...(stages ? { stages: stages.stages, privateOsPack: stages.secret } : {}) }, signal, task));
      return result('built', images, { record: published.record, osPack: published.osPack }, logs);
    } finally {
      await release();
    }
  } catch (error) {
    reportFailure(stderr, env, error);
    throw error;
  }
}

/** The K8S_DISTRIBUTION of .arg as `edgebuild registries` names it. */
const REGISTRIES_DISTRIBUTION: Record<string, Distribution> = { kubeadm: 'pxk-e', 'kubeadm-fips': 'pxk-e', k3s: 'k3s', rke2: 'rke2' };

/** --registries: the stages of `edgebuild registries` for this distribution, and whether they hold literal passwords. */
async function registriesStages(file: string, distribution: string | undefined, cwd: string, warn: (w: string) => void): Promise<{ stages: unknown; secret: boolean }> {
  const report = await generateRegistriesFiles({ config: file, distribution: REGISTRIES_DISTRIBUTION[distribution ?? ''], out: undefined, strict: false, cwd, onWarning: (w) => warn(`${w.file ?? file}: ${w.message}`) });
  if (report.generated.kubeadmConfig) warn(`${file}: the kubelet credential provider part belongs in the Kubernetes layer's cluster.config, not the OS layer: edgebuild registries --config ${file} --out <dir> writes it as kubeadm-config.yaml`);
  return { stages: report.generated.stages, secret: report.generated.secrets.length > 0 };
}
