/**
 * What `remaster` decides without I/O: where to look for the user-data in an
 * installer ISO, and whether a build differs from a published one in its
 * user-data alone. Pure.
 */
import { userDataIsoPath } from './verify.js';
import type { Manifest } from './manifest.js';

/** The manifest's path first; else CanvOS's ISO layout, then the UKI one. */
export function userDataCandidates(fromManifest: string | undefined): string[] {
  const paths = [fromManifest, userDataIsoPath(false), userDataIsoPath(true)].filter((p): p is string => Boolean(p));
  return [...new Set(paths.map((p) => p.replace(/^\/+/, '')))];
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
