/**
 * Step 3: the whole plan of a build, computed before the first write. Pure.
 */
import { parseDocument } from 'yaml';
import type { ArgValues } from './argFile.js';
import { renderArgFile } from './argFile.js';
import { urlCredentials } from './urlCredentials.js';
import type { PreparedUserData } from './userData/prepare.js';

export const DEFAULT_TARGET = '+iso';
/** The same pattern as `target` in build-config.schema.json: `--target` must not accept more than the config does. */
export const TARGET_PATTERN = /^\+[A-Za-z0-9][A-Za-z0-9_-]*$/;

export interface PlanInput {
  repo: string;
  tag: string;
  commit: string;
  peVersion: string | undefined;
  canvosDir: string;
  target: string;
  arg: ArgValues;
  userData: PreparedUserData & { source: string };
  /** Values substituted into `arg` from the environment. */
  argSecrets?: string[];
  /** Extra files: absolute source, destination relative to the checkout. */
  files: { from: string; to: string }[];
  configFile: string | undefined;
}

export interface Plan extends Omit<PlanInput, 'userData'> {
  userData: { source: string; sourceSha256: string; sha256: string; imageRedirectWebhook: boolean };
  /** The final user-data text (contains secrets: never print it). */
  userDataText: string;
  argText: string;
  /** argv of the build, run in canvosDir. */
  command: string[];
  isoName: string;
  secrets: string[];
  /**
   * The ISO embeds credentials (a substituted secret or a registration
   * token in its user-data): it is published 0600, like site ISOs.
   */
  privateIso: boolean;
}

/** stylus.site.edgeHostToken is set: whoever reads the ISO can register edge hosts. */
export function hasEdgeHostToken(userDataText: string): boolean {
  const token: unknown = parseDocument(userDataText).getIn(['stylus', 'site', 'edgeHostToken']);
  return token !== undefined && token !== null && String(token).trim() !== '';
}

/** The ISO embedding this user-data holds credentials (a substituted secret or a registration token): publish it 0600. */
export function embedsCredentials(userData: { secrets: readonly string[]; text: string }): boolean {
  return userData.secrets.length > 0 || hasEdgeHostToken(userData.text);
}

/** earthly.sh passes its arguments to Earthly; ARCH is given as a build arg as CanvOS documents. */
export function buildCommand(target: string, arg: ArgValues): string[] {
  return ['./earthly.sh', target, `--ARCH=${arg.ARCH ?? 'amd64'}`];
}

export function makePlan(input: PlanInput): Plan {
  const { userData, argSecrets = [], ...rest } = input;
  // Everything that must never be shown: env values and credentials in URLs (proxies).
  const secrets = [...new Set([...userData.secrets, ...argSecrets, ...Object.values(input.arg).flatMap(urlCredentials)])];
  return {
    ...rest,
    userData: { source: userData.source, sourceSha256: userData.sourceSha256, sha256: userData.sha256, imageRedirectWebhook: userData.imageRedirectWebhook },
    userDataText: userData.text,
    argText: renderArgFile(input.arg),
    command: buildCommand(input.target, input.arg),
    isoName: input.arg.ISO_NAME ?? 'palette-edge-installer',
    secrets,
    privateIso: embedsCredentials(userData),
  };
}
