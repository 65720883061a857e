/**
 * What makes a build (or a published ISO) trustworthy, decided from facts
 * the adapters gathered. Never the exit status alone: some CanvOS tags exit
 * 0 after a failed build. Pure.
 */
import { parseChecksumFile } from './checksumFile.js';
import { webhookEnabled } from './userData/prepare.js';
import { sha256 } from './digest.js';

export interface Check {
  id: string;
  ok: boolean;
  message: string;
}

/** A UKI build (IS_UKI=true): its ISO holds the user-data at the root. */
export function isUki(plan: { arg: Readonly<Record<string, string>> }): boolean {
  return plan.arg.IS_UKI === 'true';
}

/** Where CanvOS puts the user-data inside the ISO. */
export function userDataIsoPath(uki: boolean): string {
  return uki ? 'config.yaml' : 'files-iso/config.yaml';
}

export interface IsoFacts {
  /** Shown in messages, e.g. `build/palette-edge-installer.iso`. */
  isoShown: string;
  isoName: string;
  /** undefined: the ISO does not exist. */
  iso: { size: number; sha256: string } | undefined;
  /** Text of `<iso>.sha256`; undefined when it does not exist. */
  checksumText: string | undefined;
  /** UKI builds write no .sha256. */
  checksumRequired: boolean;
  embeddedPath: string;
  /** The user-data read from the ISO; undefined when absent; a string: why it could not be read. */
  embedded: Buffer | undefined | { error: string };
  /** What should be embedded: the bytes we wrote, or their sha256 (from a manifest). */
  expectedUserData: { bytes: Buffer } | { sha256: string };
  /** The webhook may stay on only when the user asked for it. */
  keepWebhook: boolean;
}

/**
 * A file's `.sha256` (sha256sum output) against the file's own hash: the line
 * for `name` (or the only line, as CanvOS may write a path). undefined when
 * there is none and none is `required`.
 */
export function checkChecksum(f: { shown: string; whose: string; name: string; sha256: string; text: string | undefined; required: boolean }): Check | undefined {
  const shaShown = `${f.shown}.sha256`;
  if (f.text === undefined) return f.required ? { id: 'checksum-missing', ok: false, message: `${shaShown} does not exist` } : undefined;
  const entries = parseChecksumFile(f.text);
  const entry = entries.find((e) => e.name === f.name) ?? (entries.length === 1 ? entries[0] : undefined);
  if (!entry) return { id: 'checksum-unreadable', ok: false, message: `${shaShown} has no checksum line for ${f.name}` };
  if (entry.sha256 !== f.sha256) return { id: 'checksum-mismatch', ok: false, message: `${shaShown} says ${entry.sha256} but ${f.whose} sha256 is ${f.sha256}` };
  return { id: 'checksum', ok: true, message: `sha256 ${f.sha256} matches ${shaShown}` };
}

export function checkIso(f: IsoFacts): Check[] {
  const checks: Check[] = [];
  if (!f.iso) {
    checks.push({ id: 'iso-missing', ok: false, message: `${f.isoShown} does not exist` });
    return checks;
  }
  checks.push({ id: 'iso-exists', ok: true, message: `${f.isoShown} exists (${f.iso.size} bytes)` });

  const checksum = checkChecksum({ shown: f.isoShown, whose: "the ISO's", name: `${f.isoName}.iso`, sha256: f.iso.sha256, text: f.checksumText, required: f.checksumRequired });
  if (checksum) checks.push(checksum);

  const embedded = f.embedded;
  if (embedded === undefined) {
    checks.push({ id: 'user-data-missing', ok: false, message: `the ISO has no ${f.embeddedPath} (the user-data was not embedded)` });
  } else if (!Buffer.isBuffer(embedded)) {
    checks.push({ id: 'iso-unreadable', ok: false, message: `cannot read ${f.embeddedPath} from the ISO: ${embedded.error}` });
  } else {
    const same = 'bytes' in f.expectedUserData ? embedded.equals(f.expectedUserData.bytes) : sha256(embedded) === f.expectedUserData.sha256;
    if (!same) {
      checks.push({ id: 'user-data-differs', ok: false, message: `${f.embeddedPath} in the ISO is not the user-data edgebuild prepared (sha256 ${sha256(embedded)})` });
    } else {
      checks.push({ id: 'user-data', ok: true, message: `${f.embeddedPath} in the ISO is the prepared user-data` });
    }
    if (!f.keepWebhook) {
      if (webhookEnabled(embedded.toString('utf8'))) {
        checks.push({ id: 'webhook-enabled', ok: false, message: `${f.embeddedPath} in the ISO does not set stylus.imageRedirectWebhook.enable: false` });
      } else {
        checks.push({ id: 'webhook-off', ok: true, message: 'stylus.imageRedirectWebhook.enable is false' });
      }
    }
  }
  return checks;
}

export interface RunFacts {
  exitCode: number | undefined;
  signal: string | undefined;
  /** CanvOS printed "An error occurred while running the command." */
  printedError: boolean;
  /** bash printed "line N: 1: command not found": CanvOS's broken error check saw a failure. */
  brokenErrorCheck?: boolean;
}

/** The build process's own verdict: only the first of the conditions. */
export function checkRun(r: RunFacts): Check {
  if (r.exitCode === 0) {
    return { id: 'exit-status', ok: true, message: r.printedError ? 'earthly.sh exited 0 (but printed "An error occurred")' : 'earthly.sh exited 0' };
  }
  const how = r.signal ? `was killed by ${r.signal}` : r.exitCode === undefined ? 'could not be run' : `exited with status ${r.exitCode}`;
  return { id: 'exit-status', ok: false, message: `earthly.sh ${how}` };
}

/** One line naming the first failed condition, with a hint when CanvOS lied about its status. */
export function failureSummary(checks: readonly Check[], run?: RunFacts): string | undefined {
  const failed = checks.filter((c) => !c.ok);
  if (failed.length === 0) return undefined;
  const first = failed[0]!.message;
  const lied =
    run && run.exitCode === 0 && run.brokenErrorCheck
      ? ' — earthly.sh exited 0 although its Earthly run failed (its log shows "<status>: command not found": the broken error check of CanvOS v4.5.14 to v4.6.24)'
      : run && run.exitCode === 0 && run.printedError
        ? ' — earthly.sh exited 0 but printed "An error occurred"'
        : '';
  const more = failed.length > 1 ? ` (and ${failed.length - 1} more: ${failed.slice(1).map((c) => c.id).join(', ')})` : '';
  return `${first}${lied}${more}`;
}
