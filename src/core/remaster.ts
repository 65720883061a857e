/**
 * What `remaster` decides without I/O: where to look for the user-data in an
 * installer ISO, and whether the new one makes the ISO a secret. Pure.
 */
import { parse } from 'yaml';
import { userDataIsoPath } from './verify.js';
import type { PreparedUserData } from './userData.js';
import type { Manifest } from './manifest.js';

/** The manifest's path first; else CanvOS's ISO layout, then the UKI one. */
export function userDataCandidates(fromManifest: string | undefined): string[] {
  const paths = [fromManifest, userDataIsoPath(false), userDataIsoPath(true)].filter((p): p is string => Boolean(p));
  return [...new Set(paths.map((p) => p.replace(/^\/+/, '')))];
}

/** `${env:}` values, or a registration token written in the file: the ISO is then published 0600. */
export function holdsSecret(prepared: Pick<PreparedUserData, 'secrets' | 'text'>): boolean {
  if (prepared.secrets.length > 0) return true;
  const data = parse(prepared.text) as { stylus?: { site?: { edgeHostToken?: unknown } } } | null;
  const token = data?.stylus?.site?.edgeHostToken;
  return token !== undefined && token !== null && String(token).trim() !== '';
}

export interface BuildFacts {
  commit: string;
  target: string;
  arg: Record<string, string>;
  files: { to: string; sha256: string }[];
  userDataSha256: string;
}

const sortedJson = (record: Record<string, string>): string => JSON.stringify(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : 1)));

/**
 * A published build that differs from the one planned in its user-data
 * alone (same CanvOS commit, target, .arg and extra files): `remaster` can
 * make the new ISO from it without a build.
 */
export function onlyUserDataDiffers(published: Manifest, planned: BuildFacts): boolean {
  return (
    published.userData.sha256 !== planned.userDataSha256 &&
    published.canvos.commit === planned.commit &&
    published.target === planned.target &&
    sortedJson(published.arg) === sortedJson(planned.arg) &&
    JSON.stringify(published.files) === JSON.stringify(planned.files)
  );
}
