/**
 * manifest.json, published beside the ISO: what was built, from what, and
 * how to check it. Holds hashes of the user-data, never its content, and no
 * secrets (values are redacted, URL credentials masked). Pure.
 */
import { RuntimeError } from '../errors.js';
import { cleanValue } from './secrets.js';
import { maskUrlCredentials } from './urlCredentials.js';

export const MANIFEST_NAME = 'manifest.json';
export const MANIFEST_SCHEMA = 1;

export interface Artifact {
  /** File name inside the output directory. */
  name: string;
  size: number;
  sha256: string;
  /** Permissions as octal text (`0600`): recorded for the ISO, which is private when it embeds credentials. */
  mode?: string;
}

export interface Manifest {
  schemaVersion: typeof MANIFEST_SCHEMA;
  edgebuild: { version: string };
  buildKey: string;
  canvos: { repo: string; tag: string; commit: string; peVersion: string | null };
  target: string;
  command: string[];
  arg: Record<string, string>;
  /** `sha256`: the user-data in the ISO; `sourceSha256`: the user's file it was prepared from (absent in older manifests). */
  userData: { sha256: string; sourceSha256?: string; imageRedirectWebhook: boolean; isoPath: string };
  files: { to: string; sha256: string }[];
  preflight: unknown;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** The first artifact is the ISO. */
  artifacts: Artifact[];
  /** Set by `edgebuild remaster`: the published ISO this one was made from, with only its user-data replaced. */
  derivedFrom?: DerivedFrom;
}

export interface DerivedFrom {
  /** File name of the input ISO. */
  iso: string;
  sha256: string;
  /** The input's manifest build key; null for an ISO accepted with --trust-input. */
  buildKey: string | null;
  /** sha256 of the user-data the input carried. */
  userDataSha256: string;
}

/** File permissions as octal text: 0o600 → `0600`. */
export function octalMode(mode: number): string {
  return `0${mode.toString(8)}`;
}

export type ManifestInput = Omit<Manifest, 'schemaVersion'>;

/** `scheme://user:pass@host` → `scheme://***@host`, wherever it appears in a value. */

/** The manifest with every value that could carry a secret cleaned. */
export function makeManifest(input: ManifestInput, secrets: readonly string[]): Manifest {
  const clean = (v: string): string => cleanValue(v, secrets);
  return {
    schemaVersion: MANIFEST_SCHEMA,
    ...input,
    canvos: { ...input.canvos, repo: maskUrlCredentials(input.canvos.repo) },
    command: input.command.map(clean),
    arg: Object.fromEntries(Object.entries(input.arg).map(([k, v]) => [k, clean(v)])),
  };
}

export function renderManifest(manifest: Manifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

const isString = (v: unknown): v is string => typeof v === 'string';

/**
 * The manifest in `text`, or what makes it not an edgebuild manifest: checks
 * the fields that verification and the up-to-date check rely on.
 */
export function checkManifest(text: string): { manifest: Manifest } | { problem: string } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { problem: 'invalid JSON' };
  }
  const m = data as Partial<Manifest> | null;
  if (!m || typeof m !== 'object') return { problem: 'not an object' };
  if (m.schemaVersion !== MANIFEST_SCHEMA) return { problem: `schemaVersion ${String(m.schemaVersion)}, expected ${MANIFEST_SCHEMA}` };
  if (!isString(m.buildKey)) return { problem: 'no buildKey' };
  const u = m.userData;
  if (!u || !isString(u.sha256) || typeof u.imageRedirectWebhook !== 'boolean' || !isString(u.isoPath)) return { problem: 'no userData' };
  if (u.sourceSha256 !== undefined && !isString(u.sourceSha256)) return { problem: 'userData.sourceSha256 is not a string' };
  if (!Array.isArray(m.artifacts) || m.artifacts.length === 0) return { problem: 'no artifacts' };
  for (const a of m.artifacts as unknown[]) {
    const art = a as Partial<Artifact>;
    if (!art || !isString(art.name) || !isString(art.sha256) || typeof art.size !== 'number' || art.name.includes('/')) return { problem: 'an artifact without name, size and sha256' };
  }
  return { manifest: m as Manifest };
}

/** The manifest in `file`'s text; RuntimeError (exit 1) when it is not an edgebuild manifest. */
export function parseManifest(text: string, file: string): Manifest {
  const checked = checkManifest(text);
  if ('problem' in checked) {
    throw new RuntimeError(`${file}: not an edgebuild manifest (${checked.problem})`, {
      code: 'manifest-invalid',
      fix: 'publish the ISO again with edgebuild iso, or point at the directory edgebuild published into',
    });
  }
  return checked.manifest;
}

/**
 * Whether `dir` holds a verified build of `key`: same key, and every
 * artifact present with the size the manifest records. (Re-hashing a
 * multi-GB ISO would break the 2-second promise; `edgebuild verify` does that.)
 */
export function upToDate(manifest: Manifest | undefined, key: string, sizes: ReadonlyMap<string, number | undefined>): boolean {
  if (!manifest || manifest.buildKey !== key) return false;
  return manifest.artifacts.every((a) => sizes.get(a.name) === a.size);
}
