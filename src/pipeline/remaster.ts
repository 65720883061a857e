/**
 * `edgebuild remaster <iso>`: a published installer ISO with only its
 * user-data replaced. Verify the input → prepare the user-data as `iso`
 * does → let xorriso replay the input's boot setup around the new file →
 * check that the boot layout, every other file and the volume id survived
 * → publish with a manifest recording what it was derived from.
 */
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { InputError, RuntimeError } from '../errors.js';
import { diffLayouts, hasBootEntry, parseBootReport, type BootLayout } from '../core/iso9660/bootLayout.js';
import { MANIFEST_NAME, parseManifest, type Manifest } from '../core/manifest.js';
import { userDataCandidates } from '../core/remaster.js';
import { embedsCredentials } from '../core/plan.js';
import { sha256 } from '../core/digest.js';
import { prepareUserData, type PreparedUserData } from '../core/userData/prepare.js';
import { diffUserData, type MeaningDiff } from '../core/userData/diff.js';
import { checkIso, type Check } from '../core/verify.js';
import { sha256File, sha256FileOnWorker, sizeOf } from '../adapters/checksum.js';
import { defaultCacheDir } from '../adapters/cacheDir.js';
import { FileHashCache } from '../adapters/hashCache.js';
import { atomicWriteFile, makeDir, makePrivateDir, readTextIfReadable, readUserFile, removeTree, sweepLeftovers } from '../adapters/files.js';
import { ownerTag } from '../adapters/processIdentity.js';
import { openIso } from '../adapters/iso9660Reader.js';
import { inspectImage, replaceFile } from '../adapters/xorriso.js';
import { planInPlaceWrite, writePatchedCopy } from '../adapters/isoPatch.js';
import { patchWrites, type InPlacePatch } from '../core/iso9660/inPlace.js';
import { version } from '../version.js';
import { loadConfig } from './inputs.js';
import { publish, refuseForeignManifest, type Published } from './publish.js';
import { verifyPublished } from './verify.js';

export interface RemasterOptions {
  iso: string;
  userData?: string;
  config?: string;
  keepWebhook?: boolean;
  out?: string;
  dryRun?: boolean;
  trustInput?: boolean;
  /** Where the sha256 of the input is remembered (by path, size, mtime, ctime, inode, device), so an unchanged input is not read again. */
  cacheDir?: string;
  cwd: string;
  env: Record<string, string | undefined>;
  signal?: AbortSignal;
  onProgress?: (line: string) => void;
  onWarning?: (warning: string) => void;
}

interface InputIso {
  path: string;
  name: string;
  manifest: Manifest | undefined;
  /** Where the user-data sits inside the image, without a leading slash. */
  embeddedPath: string;
  embedded: Buffer;
  volumeId: string;
  joliet: boolean;
  layout: BootLayout;
  /** `lsdl` lines of every file and directory, sorted. */
  files: string[];
}

export interface RemasterPlan {
  status: 'planned';
  input: string;
  out: string;
  embeddedPath: string;
  volumeId: string;
  bootLayout: string;
  userData: { source: string; sha256: string; imageRedirectWebhook: boolean; secret: boolean };
  /** Key paths only; values may be secrets. */
  changes: MeaningDiff & { unreadable?: string };
  /** How the new image is written: the input copied and the file patched where it lies, or xorriso (and why not in place). */
  write: { method: 'in-place' } | { method: 'xorriso'; reason: string };
  warnings: string[];
}

export interface RemasterResult extends Omit<RemasterPlan, 'status'> {
  status: 'remastered';
  artifacts: Published['artifacts'];
  manifest: string;
  derivedFrom: NonNullable<Manifest['derivedFrom']>;
  checks: Check[];
  durationMs: number;
}

const TEMP_PREFIX = '.remaster-tmp-';

async function readInput(path: string, trustInput: boolean, warn: (w: string) => void, signal?: AbortSignal): Promise<InputIso> {
  if ((await sizeOf(path)) === undefined) {
    throw new InputError(`${path} does not exist or is not a file`, { code: 'iso-missing', fix: 'give the path of an installer ISO, e.g. out/edgebuild/palette-edge-installer.iso' });
  }
  const manifestPath = join(dirname(path), MANIFEST_NAME);
  let manifest: Manifest | undefined;
  const manifestText = await readTextIfReadable(manifestPath);
  if (manifestText !== undefined) manifest = parseManifest(manifestText, manifestPath);
  else if (!trustInput) {
    throw new InputError(`${path} has no ${MANIFEST_NAME} beside it, so it was not published by edgebuild iso and cannot be verified`, {
      code: 'remaster-untrusted',
      fix: 'remaster an ISO from the --out of edgebuild iso, or pass --trust-input to accept any CanvOS installer ISO unchecked',
    });
  }
  if (!manifest) warn(`--trust-input: ${path} is NOT checked against a .sha256 or ${MANIFEST_NAME}; the remastered ISO is only as sound as this input`);
  const image = await openIso(path);
  let embeddedPath: string | undefined;
  let embedded: Buffer | undefined;
  try {
    for (const candidate of userDataCandidates(manifest?.userData.isoPath)) {
      embedded = await image.readFile(candidate);
      if (embedded) {
        embeddedPath = candidate;
        break;
      }
    }
    if (!embedded || !embeddedPath) {
      throw new InputError(`${path} holds no ${userDataCandidates(manifest?.userData.isoPath).join(' or ')}: not a CanvOS installer ISO`, {
        code: 'remaster-no-user-data',
        fix: 'pass an installer ISO built by CanvOS (edgebuild iso), which embeds the user-data',
      });
    }
    const inspected = await inspectImage(path, signal);
    const layout = parseBootReport(inspected.boot);
    if (!hasBootEntry(layout)) {
      throw new InputError(`${path} has no El Torito boot entry: not a bootable installer ISO`, { code: 'remaster-not-bootable', fix: 'pass the installer ISO itself' });
    }
    return { path, name: basename(path), manifest, embeddedPath, embedded, volumeId: image.volumeId, joliet: image.joliet, layout, files: inspected.files };
  } finally {
    await image.close();
  }
}

async function prepare(options: RemasterOptions): Promise<PreparedUserData & { source: string }> {
  const { config, file: configFile } = await loadConfig(options);
  const configDir = configFile ? dirname(configFile) : options.cwd;
  const path = options.userData ? resolve(options.cwd, options.userData) : config.userData ? resolve(configDir, config.userData) : undefined;
  if (!path) throw new InputError('no user-data given', { code: 'no-user-data', fix: 'pass --user-data <file>, or set userData: in the build config' });
  const shown = options.userData ?? relative(options.cwd, path);
  const source = await readUserFile(path, 'user-data');
  const prepared = prepareUserData(source, shown, { keepWebhook: Boolean(options.keepWebhook ?? config.keepWebhook), env: options.env });
  return { ...prepared, source: path };
}

function outDirOf(options: RemasterOptions, input: string): string {
  const out = resolve(options.cwd, options.out ?? join(dirname(input), 'remastered'));
  if (out === dirname(input)) {
    throw new InputError(`--out ${options.out ?? out} is the directory of the input ISO; publishing there would replace it`, { code: 'usage', fix: 'pass another --out, e.g. --out out/remastered' });
  }
  return out;
}

/** The checks of a remastered image: layout, files, volume id, user-data. Throws naming what would be lost. */
function refusal(input: InputIso, what: string): RuntimeError {
  return new RuntimeError(`${input.path}: its boot layout (${input.layout.summary}) cannot be preserved exactly: ${what}; nothing was published`, {
    code: 'remaster-layout',
    fix: 'rebuild the ISO with edgebuild iso and the new user-data instead',
    details: { layout: input.layout.lines },
  });
}

/**
 * The in-place write's own checks: the new user-data read back through each
 * tree by our reader (Rock Ridge, Joliet, plain ISO 9660 names), and the plan
 * made again on the output finding the same records, every one of them now
 * giving the new size (the trees of GRUB's ISO partition included).
 */
async function checkInPlace(input: InputIso, output: string, expected: Buffer, patch: InPlacePatch, refuse: (what: string) => RuntimeError): Promise<Check> {
  const image = await openIso(output);
  let trees;
  try {
    trees = await image.readFileEachTree(input.embeddedPath);
  } finally {
    await image.close();
  }
  const wrong = trees.find((t) => !t.data?.equals(expected));
  if (wrong) throw refuse(`the ${wrong.tree} tree of the in-place copy does not give the new ${input.embeddedPath}`);
  const again = await planInPlaceWrite(output, input.embeddedPath, expected.length);
  const same = again.method === 'in-place' && again.patch.oldSize === expected.length && again.patch.dataOffset === patch.dataOffset && JSON.stringify(again.patch.records) === JSON.stringify(patch.records);
  if (!same) throw refuse(`the in-place copy's directory records do not all give the new size (${again.method === 'xorriso' ? again.reason : 'other records'})`);
  return { id: 'in-place', ok: true, message: `new ${input.embeddedPath} read back through every tree (${trees.map((t) => t.tree).join(', ')}); ${patch.records.length} directory records give ${expected.length} bytes` };
}

async function checkOutput(input: InputIso, output: string, prepared: PreparedUserData, signal?: AbortSignal, patch?: InPlacePatch): Promise<{ checks: Check[]; hashed: { sha256: string; size: number } }> {
  const refuse = (what: string): RuntimeError => refusal(input, what);
  // The one full read of the new image (its sha256) runs while xorriso reads its boot records and tree;
  // in place, on a worker thread, while this thread hashes the input.
  const [inspecting, hashing] = await Promise.allSettled([inspectImage(output, signal), patch ? sha256FileOnWorker(output, signal) : sha256File(output, signal)]);
  if (inspecting.status === 'rejected') throw inspecting.reason;
  if (hashing.status === 'rejected') throw hashing.reason;
  const inspected = inspecting.value;
  const hashed = hashing.value;
  const layout = parseBootReport(inspected.boot);
  const diff = diffLayouts(input.layout, layout);
  if (diff.lost.length || diff.added.length) {
    throw refuse([...diff.lost.map((l) => `would lose "${l}"`), ...diff.added.map((l) => `would add "${l}"`)].join(', '));
  }
  const changed = `/${input.embeddedPath}`;
  const others = (lines: string[]): string[] => lines.filter((l) => !l.endsWith(` '${changed}'`));
  const before = input.files;
  const after = inspected.files;
  const missing = others(before).filter((l) => !after.includes(l));
  if (missing.length) throw refuse(`${missing.length} other file(s) would differ, first: ${missing[0]}`);
  const image = await openIso(output);
  let embedded: Buffer | undefined;
  let volumeId: string;
  try {
    embedded = await image.readFile(input.embeddedPath);
    volumeId = image.volumeId;
  } finally {
    await image.close();
  }
  if (volumeId !== input.volumeId) throw refuse(`the volume id would change from ${input.volumeId} to ${volumeId}`);
  const inPlace = patch ? [await checkInPlace(input, output, Buffer.from(prepared.text, 'utf8'), patch, refuse)] : [];
  const checks: Check[] = [
    ...inPlace,
    { id: 'boot-layout', ok: true, message: `boot layout and volume descriptor preserved (${layout.summary})` },
    { id: 'files', ok: true, message: `every other file preserved (${before.length - 1} entries)` },
    { id: 'volume-id', ok: true, message: `volume id ${volumeId} preserved` },
    ...checkIso({
      isoShown: basename(output),
      isoName: basename(output).replace(/\.iso$/i, ''),
      iso: hashed,
      checksumText: undefined,
      checksumRequired: false,
      embeddedPath: input.embeddedPath,
      embedded,
      expectedUserData: { bytes: Buffer.from(prepared.text, 'utf8') },
      keepWebhook: prepared.imageRedirectWebhook,
    }),
  ];
  const failed = checks.find((c) => !c.ok);
  if (failed) throw new RuntimeError(`the remastered ISO failed verification: ${failed.message}`, { code: failed.id, fix: 'report this: the image written is not the one asked for', details: { checks } });
  return { checks, hashed };
}

export async function runRemaster(options: RemasterOptions): Promise<RemasterPlan | RemasterResult> {
  const started = Date.now();
  const warnings: string[] = [];
  const warn = (w: string): void => {
    warnings.push(w);
    options.onWarning?.(w);
  };
  const progress = (line: string): void => options.onProgress?.(line);
  const inputPath = resolve(options.cwd, options.iso);
  const outDir = outDirOf(options, inputPath);
  await refuseForeignManifest(outDir); // before any work: publishing would replace it
  const prepared = await prepare(options);
  prepared.warnings.forEach(warn);
  const input = await readInput(inputPath, Boolean(options.trustInput), warn, options.signal);
  const secret = embedsCredentials(prepared);
  const writePlan = await planInPlaceWrite(inputPath, input.embeddedPath, Buffer.byteLength(prepared.text, 'utf8'));
  const plan: RemasterPlan = {
    status: 'planned',
    input: inputPath,
    out: join(outDir, input.name),
    embeddedPath: input.embeddedPath,
    volumeId: input.volumeId,
    bootLayout: input.layout.summary,
    userData: { source: prepared.source, sha256: prepared.sha256, imageRedirectWebhook: prepared.imageRedirectWebhook, secret },
    changes: diffUserData(input.embedded.toString('utf8'), prepared.text),
    write: writePlan.method === 'in-place' ? { method: 'in-place' } : { method: 'xorriso', reason: writePlan.reason },
    warnings,
  };
  if (options.dryRun) return plan;

  await makeDir(outDir);
  await sweepLeftovers(outDir, [TEMP_PREFIX]); // work directories of remasters that were killed
  // A private directory beside the final names: the user-data (maybe with secrets) and the new image are never readable by others, and the final rename is atomic.
  const temp = join(outDir, `${TEMP_PREFIX}${ownerTag()}-${randomBytes(4).toString('hex')}`);
  await makePrivateDir(temp);
  const cache = await FileHashCache.load(resolve(options.cwd, options.cacheDir ?? defaultCacheDir(options.env)));
  const abort = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, abort.signal]) : abort.signal;
  try {
    const userDataFile = join(temp, 'user-data');
    // xorriso takes the new file from a file; in place, the bytes go straight into the copy.
    if (writePlan.method === 'xorriso') await atomicWriteFile(userDataFile, prepared.text, 0o600);
    const output = join(temp, input.name);
    const patch = writePlan.method === 'in-place' ? writePlan.patch : undefined;
    progress(
      writePlan.method === 'in-place'
        ? `Writing ${input.name} with the new ${input.embeddedPath} in place (a copy of the input; the file's ${writePlan.patch.allocated} bytes and its ${writePlan.patch.records.length} directory records patched)`
        : `Writing ${input.name} with the new ${input.embeddedPath} (xorriso, boot setup replayed from the input; not in place: ${writePlan.reason})`,
    );
    // The input's own checks (a full read for its sha256) run while xorriso copies it: both read the same pages.
    const checkInput = (async () => {
      try {
        // Read in full unless this machine hashed exactly this file before (FileHashCache); checked against its .sha256 and manifest either way.
        const hashed = await cache.hash(inputPath, signal);
        if (cache.hashed === 0) progress(`${input.name}: sha256 remembered from an earlier read here (same inode, size, mtime and ctime), not read again`);
        const verified = input.manifest ? await verifyPublished(inputPath, options.cwd, signal, { hashed }) : hashed;
        await cache.save();
        return verified;
      } catch (error) {
        abort.abort(error);
        throw error;
      }
    })();
    // In place, the copy takes a fraction of the input's hash: the output's checks (its hash) run beside the input's.
    const write = patch
      ? writePatchedCopy(inputPath, output, patchWrites(patch, Buffer.from(prepared.text, 'utf8')), signal).then(() => {
          progress('Checking the new ISO: boot layout, files, volume id, user-data through every tree, sha256');
          return checkOutput(input, output, prepared, signal, patch);
        })
      : replaceFile({ input: inputPath, output, file: userDataFile, isoPath: `/${input.embeddedPath}`, joliet: input.joliet, md5: writePlan.method === 'xorriso' && writePlan.md5 === true, signal }).then(() => undefined);
    // Both settle before anything is cleaned up: xorriso must be gone before its work directory is.
    const [inputOutcome, writeOutcome] = await Promise.allSettled([checkInput, write]);
    // A failed input check is the error to show, not the xorriso run it interrupted.
    if (inputOutcome.status === 'rejected') throw inputOutcome.reason;
    if (writeOutcome.status === 'rejected') {
      const error: unknown = writeOutcome.reason;
      // xorriso refusing to replay the boot setup (e.g. "GPT partitions 1 and 2 overlap") is the layout's fault.
      if (error instanceof RuntimeError && error.code === 'xorriso-failed') throw refusal(input, `xorriso cannot replay its boot setup (${error.message.replace(/^[^:]*: /, '')})`);
      throw error;
    }
    const verifiedInput = inputOutcome.value;
    if (!writeOutcome.value) progress('Checking the new ISO: boot layout, files, volume id, user-data, sha256');
    const { checks, hashed } = writeOutcome.value ?? (await checkOutput(input, output, prepared, signal));
    const derivedFrom = {
      iso: input.name,
      sha256: verifiedInput.sha256,
      buildKey: input.manifest?.buildKey ?? null,
      userDataSha256: sha256(input.embedded),
    };
    const m = input.manifest;
    const finishedAt = new Date();
    const published = await publish({
      outDir,
      isoName: input.name.replace(/\.iso$/i, ''),
      iso: { path: output, ...hashed },
      isoMode: secret ? 0o600 : 0o644,
      secrets: prepared.secrets,
      signal,
      manifest: {
        edgebuild: { version },
        // Not the input's key: `iso` must not take this ISO for a build of the original inputs.
        buildKey: sha256(JSON.stringify({ derivedFrom: derivedFrom.sha256, userData: prepared.sha256 })),
        canvos: m?.canvos ?? { repo: '', tag: '', commit: '', peVersion: null },
        target: m?.target ?? '',
        command: m?.command ?? [],
        arg: m?.arg ?? {},
        userData: { sha256: prepared.sha256, imageRedirectWebhook: prepared.imageRedirectWebhook, isoPath: input.embeddedPath },
        files: m?.files ?? [],
        preflight: null,
        startedAt: new Date(started).toISOString(),
        finishedAt: finishedAt.toISOString(),
        durationMs: finishedAt.getTime() - started,
        derivedFrom,
      },
    });
    const { status: _planned, ...rest } = plan;
    return { ...rest, status: 'remastered', artifacts: published.artifacts, manifest: published.manifestPath, derivedFrom, checks, durationMs: Date.now() - started };
  } finally {
    await removeTree(temp);
  }
}
