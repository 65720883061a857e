/**
 * Step 7 for the targets that make no ISO (issue 14): `+uki-genkey` and
 * `+maas-image`. As for the ISO, exit 0 proves nothing: every output the
 * tag's Earthfile / earthly.sh saves must be there (and the MAAS image must
 * match its .sha256) before anything is published.
 */
import { basename, join } from 'node:path';
import { formatChecksumLine } from '../core/checksumFile.js';
import type { Plan } from '../core/plan.js';
import { UKI_KEY_DIRS, UKI_REQUIRED_KEYS, UKI_SUMS_NAME, maasImageFile, ukiKeyMode } from '../core/targets.js';
import { checkChecksum, checkRun, type Check } from '../core/verify.js';
import { sha256File, sizeOf } from '../adapters/checksum.js';
import { listDir, readTextIfReadable } from '../adapters/files.js';
import type { PublishFile, PublishSetInput } from './publish.js';
import { failure, type VerifyBuildInput } from './verify.js';

/** What to publish for a verified build of one of these targets. */
export type VerifiedOutputs = Pick<PublishSetInput, 'files' | 'texts'> & { checks: Check[] };

type Run = Omit<VerifyBuildInput, 'plan'>;

function fail(checks: Check[], run: Run): never {
  throw failure('build output not verified: ', checks, { log: run.logPath, tail: run.run.tail }, run.run);
}

async function hashed(path: string, name: string, mode: number, signal: AbortSignal | undefined): Promise<PublishFile> {
  return { from: path, name, mode, what: name, ...(await sha256File(path, signal)) };
}

/** secure-boot/{enrollment,private-keys,public-keys}, flattened into --out (refused if two share a name), with SHA256SUMS. */
export async function verifyUkiKeys(plan: Plan, run: Run): Promise<VerifiedOutputs> {
  const checks: Check[] = [checkRun(run.run)];
  const missing = [];
  for (const key of UKI_REQUIRED_KEYS) if ((await sizeOf(join(plan.canvosDir, key))) === undefined) missing.push(key);
  const files: PublishFile[] = [];
  for (const dir of UKI_KEY_DIRS) {
    const names = [];
    // Hidden files (a .gitkeep) are no keys.
    for (const name of (await listDir(join(plan.canvosDir, dir))) ?? []) if (!name.startsWith('.') && (await sizeOf(join(plan.canvosDir, dir, name))) !== undefined) names.push(name);
    if (names.length === 0 && dir === 'secure-boot/enrollment') missing.push(`${dir}/ (no files)`);
    for (const name of names) files.push(await hashed(join(plan.canvosDir, dir, name), name, ukiKeyMode(dir), run.signal));
  }
  checks.push(missing.length > 0 ? { id: 'output-missing', ok: false, message: `the build wrote no ${missing.join(', ')}` } : { id: 'outputs', ok: true, message: `${files.length} key files under secure-boot/` });
  const names = files.map((f) => f.name);
  const clash = names.find((n, i) => names.indexOf(n) !== i);
  if (clash) checks.push({ id: 'output-clash', ok: false, message: `${clash} is in more than one of ${UKI_KEY_DIRS.join(', ')}` });
  if (checks.some((c) => !c.ok)) fail(checks, run);
  const sums = files.map((f) => formatChecksumLine(f.sha256, f.name)).join('');
  return { files, texts: [{ name: UKI_SUMS_NAME, text: sums }], checks };
}

/** build/<name>.raw.gz and its .sha256 (which names it as build/<name>.raw.gz; --out gets one checkable from inside it). */
export async function verifyMaasImage(plan: Plan, run: Run): Promise<VerifiedOutputs> {
  const name = maasImageFile(plan.arg);
  const shown = `build/${name}`;
  const path = join(plan.canvosDir, shown);
  const checks: Check[] = [checkRun(run.run)];
  const image = (await sizeOf(path)) === undefined ? undefined : await hashed(path, name, plan.privateIso ? 0o600 : 0o644, run.signal);
  if (!image) checks.push({ id: 'output-missing', ok: false, message: `the build wrote no ${shown}` });
  else {
    checks.push({ id: 'outputs', ok: true, message: `${shown} exists (${image.size} bytes)` });
    const checksum = checkChecksum({ shown, whose: `${basename(shown)}'s`, name: shown, sha256: image.sha256, text: await readTextIfReadable(`${path}.sha256`), required: true });
    if (checksum) checks.push(checksum);
  }
  if (!image || checks.some((c) => !c.ok)) fail(checks, run);
  return { files: [image], texts: [{ name: `${name}.sha256`, text: formatChecksumLine(image.sha256, name) }], checks };
}
