/**
 * What `remaster` decides without I/O: where to look for the user-data in an
 * installer ISO, and whether the new one makes the ISO a secret. Pure.
 */
import { parse } from 'yaml';
import { userDataIsoPath } from './verify.js';
import type { PreparedUserData } from './userData.js';

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
