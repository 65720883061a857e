/**
 * Step 7: never trust the exit status. A build succeeded when earthly.sh
 * exited 0 AND the ISO and its .sha256 exist AND the checksum matches AND
 * the ISO holds the user-data edgebuild wrote, with the webhook off.
 * Also `edgebuild verify <iso>`: the same checks for a published ISO,
 * against its .sha256 and manifest.json.
 */
import { basename, dirname, join, relative, resolve } from 'node:path';
import { RuntimeError } from '../errors.js';
import { MANIFEST_NAME, parseManifest, type Manifest } from '../core/manifest.js';
import type { Plan } from '../core/plan.js';
import { checkIso, checkRun, failureSummary, isUki, userDataIsoPath, type Check, type RunFacts } from '../core/verify.js';
import { sha256File, sizeOf } from '../adapters/checksum.js';
import { readTextIfReadable } from '../adapters/files.js';
import { openIso } from '../adapters/iso9660Reader.js';
import { FileHashCache, hashClockNs } from '../adapters/hashCache.js';

const FIXES: Record<string, string> = {
  'exit-status': 'read the end of the build log for the failing Earthly step',
  'iso-missing': 'the build produced no ISO: read the build log for the failing Earthly step (some CanvOS tags exit 0 after a failure)',
  'output-missing': 'the build did not write it: read the build log for the failing Earthly step (earthly.sh can exit 0 after a failure)',
  'output-clash': 'two of the key directories hold a file of the same name: move one away in secure-boot/ and rebuild with --force',
  'checksum-missing': 'the build wrote no .sha256 beside the ISO: read the build log, then rebuild with --force',
  'checksum-unreadable': 'the .sha256 file is not sha256sum output: rebuild with --force',
  'checksum-mismatch': 'the ISO is not the file its checksum was made from (truncated or modified): rebuild with --force',
  'iso-unreadable': 'the ISO is not a readable ISO 9660 image: rebuild with --force',
  'user-data-missing': 'CanvOS did not embed the user-data: check the validate-user-data step in the build log and rebuild with --force',
  'user-data-differs': 'the ISO carries another user-data than the one prepared: rebuild with --force',
  'webhook-enabled': 'set stylus.imageRedirectWebhook.enable: false (or pass --keep-webhook on purpose) and rebuild',
  'manifest-missing': 'verify an ISO in a directory edgebuild published into (with manifest.json)',
  'manifest-artifact': 'the ISO is not the one manifest.json describes: publish it again with edgebuild iso --force',
};

/** `verify` runs where an ISO was downloaded as often as where it was built: fixes for both. */
const PUBLISHED_FIXES: Record<string, string> = {
  ...FIXES,
  'manifest-missing': 'give the manifest published with the ISO: edgebuild verify <iso> --manifest <file> (a release names it <config>-manifest.json)',
  'manifest-artifact': 'the ISO is not the one the manifest describes: download both again from the same release (where it was built: edgebuild iso --force)',
  'checksum-mismatch': 'the ISO is not the file its checksum was made from (truncated or modified): download it again (where it was built: edgebuild iso --force)',
};

async function readEmbedded(isoPath: string, inside: string): Promise<Buffer | undefined | { error: string }> {
  try {
    const image = await openIso(isoPath);
    try {
      return await image.readFile(inside);
    } finally {
      await image.close();
    }
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

export interface VerifiedIso {
  path: string;
  size: number;
  sha256: string;
  checks: Check[];
}

export interface VerifyBuildInput {
  plan: Plan;
  run: RunFacts & { tail: string[] };
  logPath: string;
  signal?: AbortSignal;
}

export function isoPathOf(plan: Plan): string {
  return join(plan.canvosDir, 'build', `${plan.isoName}.iso`);
}

export function failure(prefix: string, checks: Check[], details: Record<string, unknown>, run?: RunFacts, fixes = FIXES): RuntimeError {
  // Callers pass at least one failed check; the code names the first.
  const code = checks.find((c) => !c.ok)?.id ?? 'verify-failed';
  const log = typeof details.log === 'string' ? ` (log: ${details.log})` : '';
  return new RuntimeError(`${prefix}${failureSummary(checks, run)}${log}`, { code, fix: fixes[code] ?? 'see the checks listed', details: { checks, ...details } });
}

/** The first condition on its own, so a build that exited non-zero fails as the build step. */
export function checkExit(run: VerifyBuildInput['run'], logPath: string): void {
  const check = checkRun(run);
  if (!check.ok) throw failure('build failed: ', [check], { log: logPath, tail: run.tail }, run);
}

/** Checks the build's output in the checkout; throws naming the first failed condition and the log. */
export async function verifyBuild(input: VerifyBuildInput): Promise<VerifiedIso> {
  const { plan, run, logPath } = input;
  const isoPath = isoPathOf(plan);
  const exited = checkRun(run);
  const checks: Check[] = [exited];
  const uki = isUki(plan);
  let iso: { size: number; sha256: string } | undefined;
  if (exited.ok) {
    iso = (await sizeOf(isoPath)) === undefined ? undefined : await sha256File(isoPath, input.signal);
    const embeddedPath = userDataIsoPath(uki);
    checks.push(
      ...checkIso({
        isoShown: relative(plan.canvosDir, isoPath),
        isoName: plan.isoName,
        iso,
        checksumText: await readTextIfReadable(`${isoPath}.sha256`),
        checksumRequired: !uki,
        embeddedPath,
        embedded: iso ? await readEmbedded(isoPath, embeddedPath) : undefined,
        expectedUserData: { bytes: Buffer.from(plan.userDataText, 'utf8') },
        keepWebhook: plan.userData.imageRedirectWebhook,
      }),
    );
  }
  if (!iso || checks.some((c) => !c.ok)) {
    throw failure('build failed: ', checks, { log: logPath, tail: run.tail }, run);
  }
  return { path: isoPath, ...iso, checks };
}

export interface PublishedVerification extends VerifiedIso {
  status: 'verified';
  manifest: string;
  buildKey: string;
}

/**
 * The manifest's entry for the ISO: by its name, or, for a release asset
 * renamed `<config>-<name>` beside `<config>-manifest.json`, the ISO artifact
 * whose name it ends with (its size and sha256 are still compared).
 */
function manifestEntry(manifest: Manifest, name: string): Manifest['artifacts'][number] | undefined {
  return manifest.artifacts.find((a) => a.name === name) ?? manifest.artifacts.find((a) => /\.iso$/i.test(a.name) && name.endsWith(`-${a.name}`));
}

export interface VerifyPublishedOptions {
  /** The manifest to check against (a release asset renamed per config); default: manifest.json beside the ISO. */
  manifest?: string | undefined;
  /**
   * The ISO's sha256 and size when the caller computed them from the very bytes it wrote
   * (pull, into a private staging dir), so the ISO is not read a second time.
   */
  hashed?: { sha256: string; size: number } | undefined;
  /**
   * The hash cache (FileHashCache) to remember the sha256 this verification read in, when
   * the ISO passes: a later `remaster` of the same, unchanged file need not read it again.
   * The verification itself always reads the file.
   */
  cacheDir?: string | undefined;
}

/** `edgebuild verify <iso> [--manifest <file>]`: a published ISO against its .sha256, manifest and embedded user-data. */
export async function verifyPublished(isoArg: string, cwd: string, signal?: AbortSignal, options: VerifyPublishedOptions = {}): Promise<PublishedVerification> {
  const manifestArg = options.manifest;
  const isoPath = resolve(cwd, isoArg);
  const dir = dirname(isoPath);
  const name = basename(isoPath);
  const manifestPath = manifestArg === undefined ? join(dir, MANIFEST_NAME) : resolve(cwd, manifestArg);
  const manifestName = basename(manifestPath);
  const size = await sizeOf(isoPath);
  if (size === undefined) {
    throw new RuntimeError(`${isoPath} does not exist or is not a file`, { code: 'iso-missing', fix: 'give the path of a published ISO, e.g. out/edgebuild/palette-edge-installer.iso' });
  }
  const manifestText = await readTextIfReadable(manifestPath);
  const checks: Check[] = [];
  let manifest: Manifest | undefined;
  if (manifestText === undefined) {
    checks.push({ id: 'manifest-missing', ok: false, message: `${manifestPath} does not exist` });
  } else {
    manifest = parseManifest(manifestText, manifestPath);
  }
  const startedNs = hashClockNs();
  const hashed = options.hashed ?? (await sha256File(isoPath, signal));
  const isoName = name.replace(/\.iso$/i, '');
  const artifact = manifest && manifestEntry(manifest, name);
  if (manifest) {
    if (!artifact) checks.push({ id: 'manifest-artifact', ok: false, message: `${manifestPath} does not list ${name}` });
    else if (artifact.sha256 !== hashed.sha256 || artifact.size !== hashed.size) {
      checks.push({ id: 'manifest-artifact', ok: false, message: `${name} is ${hashed.size} bytes with sha256 ${hashed.sha256}; ${manifestName} records ${artifact.size} bytes, ${artifact.sha256}` });
    } else checks.push({ id: 'manifest-artifact', ok: true, message: `${name} matches ${manifestName}${artifact.name === name ? '' : ` (published as ${artifact.name})`}` });
  }
  const embeddedPath = manifest?.userData.isoPath ?? userDataIsoPath(false);
  checks.push(
    ...checkIso({
      isoShown: name,
      isoName,
      iso: hashed,
      checksumText: await readTextIfReadable(`${isoPath}.sha256`),
      checksumRequired: true,
      embeddedPath,
      embedded: await readEmbedded(isoPath, embeddedPath),
      expectedUserData: { sha256: manifest?.userData.sha256 ?? '' },
      keepWebhook: manifest?.userData.imageRedirectWebhook ?? false,
    }),
  );
  // Without a manifest there is nothing to compare the user-data with; that check says nothing new.
  const shown = manifest ? checks : checks.filter((c) => c.id !== 'user-data-differs');
  // No manifest is a failed check (manifest-missing) too.
  if (!manifest || shown.some((c) => !c.ok)) throw failure(`${isoPath}: `, shown, { iso: isoPath, manifest: manifestPath }, undefined, PUBLISHED_FIXES);
  if (options.cacheDir && !options.hashed) {
    const cache = await FileHashCache.load(options.cacheDir);
    await cache.record(isoPath, hashed.sha256, startedNs);
    await cache.save();
  }
  return { status: 'verified', path: isoPath, ...hashed, checks: shown, manifest: manifestPath, buildKey: manifest.buildKey };
}
