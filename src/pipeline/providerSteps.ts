/**
 * The steps of `edgebuild provider-images` that `iso` does not have: the
 * versions and image names from the tag's own files, the images checked on
 * the engine (never trusting exit 0), pushed and confirmed by the registry,
 * and published into --out (provider-images.json, os-pack.yaml).
 */
import { join } from 'node:path';
import { InputError, InterruptedError, RuntimeError } from '../errors.js';
import type { Plan } from '../core/plan.js';
import { chooseVersions, imageNaming, imageReference, parseReference, referenceProblem, renderOsPack, type ImageNaming, type ProviderImage, type VersionChoice } from '../core/providerImages.js';
import type { TagRules } from '../core/tagRules.js';
import { connectDocker } from '../adapters/docker.js';
import { imageEvents, inspectImage, pushImage, type ImageEvent, type PushAuth } from '../adapters/dockerImages.js';
import { makeDir, readTextIfReadable, removeFile, renamePath, setMode } from '../adapters/files.js';
import { displayUrl } from '../adapters/git.js';
import { manifestDigest } from '../adapters/registryApi.js';
import { registryCredentials, type Credentials } from '../adapters/registryCredentials.js';
import { fsyncDir, removeQuietly, removeStaleTemps, stageText, targetIn } from '../adapters/publishFiles.js';
import { version } from '../version.js';
import type { TaskReporter } from './renderer.js';
import type { Source } from './source.js';

export const RECORD_NAME = 'provider-images.json';
export const OS_PACK_NAME = 'os-pack.yaml';

/** An image counts as this build's when the engine created it after the build started, less this much clock granularity. */
const CREATED_SLACK_MS = 2_000;
/** One push may move gigabytes. */
const PUSH_TIMEOUT_MS = 60 * 60_000;

export interface ProviderSelection extends VersionChoice {
  naming: ImageNaming;
  /** K8S version → expected image reference. */
  references: { k8sVersion: string; reference: string }[];
}

/** Versions from --k8s-version or the tag's k8s_version.json; references from the tag's Earthfile. Exit 2 on a bad version or name. */
export async function selectStep(
  input: { arg: Plan['arg']; rules: TagRules; requested: readonly string[]; peVersion: string | undefined },
  source: Pick<Source, 'files'>,
  warn: (w: string) => void,
  task: TaskReporter,
): Promise<ProviderSelection> {
  const choice = chooseVersions(input.requested, input.arg, input.rules);
  if ('error' in choice) throw new InputError(choice.error, { code: 'k8s-version', fix: choice.fix });
  if (!input.peVersion) throw new InputError(`CanvOS ${input.rules.tag} pins no PE_VERSION in its Earthfile: the provider images' names cannot be known`, { code: 'no-pe-version', fix: 'use a CanvOS release tag' });
  const naming = imageNaming(source.files.get('Earthfile'), input.arg);
  if (naming.warning) warn(naming.warning);
  const peVersion = input.peVersion;
  const references = choice.versions.map((k8sVersion) => ({ k8sVersion, reference: imageReference(naming.template, input.arg, peVersion, k8sVersion) }));
  for (const { reference } of references) {
    const problem = referenceProblem(reference);
    if (problem) throw new InputError(`the provider image would be named ${reference}, but ${problem}`, { code: 'image-name', fix: 'set IMAGE_REGISTRY, IMAGE_REPO and CUSTOM_TAG (in the build config or with --arg) to lower-case names' });
  }
  task.title = `${choice.versions.length} provider image${choice.versions.length === 1 ? '' : 's'} for ${input.arg.K8S_DISTRIBUTION ?? '?'} (${choice.versions.join(', ')}${choice.explicit ? '' : `: every version CanvOS ${input.rules.tag} lists`}), named as ${naming.source === 'Earthfile' ? "the tag's Earthfile says" : 'the fallback rule'}`;
  return { ...choice, naming, references };
}

/** The commands to run: one per version when versions were named, else the Earthfile's own loop over all of them. */
export function buildCommands(plan: Pick<Plan, 'command'>, selection: Pick<ProviderSelection, 'explicit' | 'versions'>): string[][] {
  return selection.explicit ? selection.versions.map((v) => [...plan.command, `--K8S_VERSION=${v}`]) : [plan.command];
}

/**
 * Each expected image exists on the engine and is this build's: created after
 * the build started, or (a cached rebuild keeps its old created time) put
 * under its name by the engine while the build ran. Exit 1 naming the first
 * that is not.
 */
export async function verifyImagesStep(selection: Pick<ProviderSelection, 'references'>, buildStartedAt: Date, env: Record<string, string | undefined>, signal: AbortSignal | undefined, logs: readonly string[], task: TaskReporter): Promise<ProviderImage[]> {
  const client = connectDocker(env);
  const images: ProviderImage[] = [];
  const log = logs.join(', ');
  // An image Earthly rebuilt from its cache keeps its old created time: then the engine's own
  // events must show it imported, loaded or tagged under this name while the build ran.
  let events: Promise<ImageEvent[]> | undefined;
  const madeDuring = async (id: string, reference: string): Promise<boolean> => {
    events ??= imageEvents(client, buildStartedAt, new Date(), signal);
    return (await events).some((e) => (e.action === 'tag' && e.name === reference && e.id === id) || ((e.action === 'load' || e.action === 'import') && e.id === id));
  };
  for (const { k8sVersion, reference } of selection.references) {
    const found = await inspectImage(client, reference, signal);
    if (!found) {
      throw new RuntimeError(`the build exited 0 but left no image ${reference} (Kubernetes ${k8sVersion}) on the Docker engine`, { code: 'image-missing', fix: `read the build log (${log}); the Earthfile's provider-image target must SAVE IMAGE under this name`, details: { log } });
    }
    if (found.created.getTime() < buildStartedAt.getTime() - CREATED_SLACK_MS && !(await madeDuring(found.id, reference))) {
      throw new RuntimeError(`the image ${reference} (Kubernetes ${k8sVersion}) was created ${found.created.toISOString()}, before this build started (${buildStartedAt.toISOString()}): it is left from an earlier build, not made by this one`, { code: 'image-stale', fix: `read the build log (${log}); remove the old image (docker rmi ${reference}) and rerun` });
    }
    images.push({ k8sVersion, reference, imageId: found.id, created: found.created.toISOString() });
  }
  task.title = `Verified ${images.length} image${images.length === 1 ? '' : 's'} on the engine, each created by this build`;
  return images;
}

/** The X-Registry-Auth the engine forwards: the docker CLI's serveraddress for Docker Hub, else the host. */
function pushAuth(registry: string, credentials: Credentials | undefined): PushAuth | undefined {
  if (!credentials) return undefined;
  const serveraddress = registry === 'docker.io' ? 'https://index.docker.io/v1/' : registry;
  return credentials.identityToken ? { identitytoken: credentials.secret, serveraddress } : { username: credentials.username, password: credentials.secret, serveraddress };
}

/** Credentials per registry, resolved once per run. */
export function credentialCache(env: Record<string, string | undefined>, signal: AbortSignal | undefined): (registry: string) => Promise<Credentials | undefined> {
  const cache = new Map<string, Promise<Credentials | undefined>>();
  return (registry) => {
    let found = cache.get(registry);
    if (!found) cache.set(registry, (found = registryCredentials(registry, env, signal)));
    return found;
  };
}

/** One image pushed through the engine, then its digest confirmed by asking the registry for the manifest. */
export async function pushOneStep(image: ProviderImage, credentials: (registry: string) => Promise<Credentials | undefined>, env: Record<string, string | undefined>, signal: AbortSignal | undefined, task: TaskReporter): Promise<ProviderImage> {
  const { registry, repository, tag } = parseReference(image.reference);
  const creds = await credentials(registry);
  const digest = await pushImage(connectDocker(env), image.reference, pushAuth(registry, creds), { signal, timeoutMs: PUSH_TIMEOUT_MS, onProgress: (line) => (task.output = line) });
  const served = await manifestDigest(registry, repository, tag, creds, { signal });
  if (served !== digest) {
    throw new RuntimeError(`the registry serves ${served ?? 'nothing'} for ${image.reference}, not the pushed ${digest}`, { code: 'push-unconfirmed', fix: 'another push may have replaced the tag meanwhile; rerun with --push' });
  }
  task.title = `Pushed ${image.reference}@${digest} (confirmed by ${registry})`;
  return { ...image, digest };
}

export interface ProviderRecord {
  edgebuild: { version: string };
  kind: 'provider-images';
  buildKey: string;
  canvos: { repo: string; tag: string; commit: string; peVersion: string | null };
  target: string;
  k8sDistribution: string;
  naming: { template: string; source: ImageNaming['source'] };
  pushed: boolean;
  images: ProviderImage[];
  osPack: string;
  startedAt: string;
  finishedAt: string;
}

/** provider-images.json, or undefined when --out has none edgebuild wrote. */
export async function readRecord(outDir: string): Promise<ProviderRecord | undefined> {
  const text = await readTextIfReadable(join(outDir, RECORD_NAME));
  if (text === undefined) return undefined;
  try {
    const record = JSON.parse(text) as Partial<ProviderRecord>;
    return record.kind === 'provider-images' && typeof record.buildKey === 'string' && Array.isArray(record.images) ? (record as ProviderRecord) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The record of a build of `buildKey` still true: os-pack.yaml beside it,
 * each image still on the engine with the same ID and, when pushed, each
 * digest still served by its registry.
 */
export async function findUpToDateImages(outDir: string, buildKey: string, env: Record<string, string | undefined>, signal: AbortSignal | undefined): Promise<ProviderRecord | undefined> {
  const record = await readRecord(outDir);
  if (!record || record.buildKey !== buildKey) return undefined;
  if ((await readTextIfReadable(join(outDir, OS_PACK_NAME))) === undefined) return undefined;
  const client = connectDocker(env);
  const credentials = credentialCache(env, signal);
  for (const image of record.images) {
    const found = await inspectImage(client, image.reference, signal);
    if (found?.id !== image.imageId) return undefined;
    if (record.pushed) {
      if (!image.digest) return undefined;
      const { registry, repository } = parseReference(image.reference);
      if ((await manifestDigest(registry, repository, image.digest, await credentials(registry), { signal })) !== image.digest) return undefined;
    }
  }
  return record;
}

/**
 * os-pack.yaml and provider-images.json, staged under temporary names; the
 * old record goes first and the new one comes last, so a record never
 * describes an os-pack.yaml that is not there.
 */
export async function publishImagesStep(
  input: { plan: Plan; outDir: string; buildKey: string; selection: ProviderSelection; images: ProviderImage[]; pushed: boolean; startedAt: Date; stages?: unknown; privateOsPack?: boolean },
  signal: AbortSignal | undefined,
  task: TaskReporter,
): Promise<{ record: string; osPack: string; document: ProviderRecord }> {
  const { plan, outDir } = input;
  const finals = { record: targetIn(outDir, RECORD_NAME), osPack: targetIn(outDir, OS_PACK_NAME) };
  await makeDir(outDir);
  await removeStaleTemps(outDir, [RECORD_NAME, OS_PACK_NAME]);
  const document: ProviderRecord = {
    edgebuild: { version },
    kind: 'provider-images',
    buildKey: input.buildKey,
    canvos: { repo: displayUrl(plan.repo), tag: plan.tag, commit: plan.commit, peVersion: plan.peVersion ?? null },
    target: plan.target,
    k8sDistribution: plan.arg.K8S_DISTRIBUTION ?? '',
    naming: { template: input.selection.naming.template, source: input.selection.naming.source },
    pushed: input.pushed,
    images: input.images,
    osPack: OS_PACK_NAME,
    startedAt: input.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
  };
  const temps: string[] = [];
  try {
    temps.push(await stageText(renderOsPack({ arg: plan.arg, peVersion: plan.peVersion ?? '', images: input.images, stages: input.stages }), finals.osPack));
    // Registry passwords in the stages: never readable by others, not even briefly.
    if (input.privateOsPack) await setMode(temps[0] ?? '', 0o600);
    temps.push(await stageText(`${JSON.stringify(document, null, 2)}\n`, finals.record));
    if (signal?.aborted) throw new InterruptedError();
    const [osPackTemp, recordTemp] = temps as [string, string];
    await removeFile(finals.record);
    await renamePath(osPackTemp, finals.osPack);
    await renamePath(recordTemp, finals.record);
    temps.length = 0;
    await fsyncDir(outDir);
  } finally {
    await removeQuietly(temps);
  }
  task.title = `Published ${finals.osPack} and ${finals.record}`;
  return { record: finals.record, osPack: finals.osPack, document };
}
