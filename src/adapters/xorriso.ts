/**
 * xorriso (Debian package `xorriso`), the one tool that rewrites an ISO 9660
 * image while replaying its boot setup. Every call has a timeout and stops
 * on the abort signal; arguments never carry secrets (files do).
 */
import { RuntimeError } from '../errors.js';

/** Reports read directories and boot records only: seconds even for a multi-GB image. */
const REPORT_TIMEOUT_MS = 60_000;
/** Writing copies the whole image; 10 minutes covers a 10 GB ISO on slow disks. */
const WRITE_TIMEOUT_MS = 10 * 60_000;

interface Run {
  stdout: string;
  stderr: string;
}

/** The lines of xorriso's complaints worth showing: its FAILURE/SORRY messages, else its last line. */
export function xorrisoComplaint(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const bad = lines.filter((l) => /: (FAILURE|SORRY|FATAL|MISHAP) :/.test(l) && !/-abort_on|-return_with|libburn indicates failure|urged to cancel|Premature end of input/.test(l));
  return (bad.length ? bad : lines.slice(-1)).map((l) => l.replace(/^(xorriso|libisofs|libburn|libisoburn)\s*:\s*(FAILURE|SORRY|FATAL|MISHAP)\s*:\s*/, '')).join('; ');
}

async function xorriso(args: string[], timeoutMs: number, what: string, signal?: AbortSignal): Promise<Run> {
  // execa is ESM-only: loaded on use, like everywhere else (the CLI bundle requires only CommonJS packages).
  const { execa } = await import('execa');
  let result;
  try {
    result = await execa('xorriso', args, {
      timeout: timeoutMs,
      ...(signal ? { cancelSignal: signal } : {}),
      stdin: 'ignore',
      reject: false,
      // Only the reports come back through memory; they are kilobytes.
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    throw new RuntimeError(`cannot run xorriso to ${what}: ${(error as Error).message}`, { code: 'xorriso', fix: 'install xorriso (apt-get install xorriso)' });
  }
  if (signal?.aborted) throw signal.reason;
  const stdout = String(result.stdout ?? '');
  const stderr = String(result.stderr ?? '');
  if ((result as { code?: string }).code === 'ENOENT') {
    throw new RuntimeError(`xorriso is not installed (needed to ${what})`, { code: 'xorriso-missing', fix: 'install it: apt-get install xorriso' });
  }
  if (result.timedOut) {
    throw new RuntimeError(`xorriso did not ${what} within ${Math.round(timeoutMs / 1000)} s`, { code: 'xorriso-timeout', fix: 'check the disk holding the ISO and --out, then run again' });
  }
  // Killed from outside (the OOM killer, an admin): not a complaint about the image.
  if (result.signal) {
    throw new RuntimeError(`xorriso was stopped by ${result.signal} before it could ${what}`, { code: 'xorriso-killed', fix: 'run edgebuild again; if it happens again, look for the out-of-memory killer in dmesg' });
  }
  if (result.exitCode !== 0) {
    throw new RuntimeError(`xorriso could not ${what}: ${xorrisoComplaint(stderr) || `exit status ${String(result.exitCode)}`}`, { code: 'xorriso-failed', fix: 'see the message from xorriso' });
  }
  return { stdout, stderr };
}

/** The El Torito and system area reports, plain form, and the primary volume descriptor. */
const BOOT_REPORT = ['-report_el_torito', 'plain', '-report_system_area', 'plain', '-pvd_info'];
/** A line of `lsdl`: mode, links, owner, size, time, path. */
const LISTED = /^[-dlcbps][-rwxsStT]{9}/;

/**
 * What a remaster compares, in one xorriso run: the El Torito and system
 * area reports, plain form, with the primary volume descriptor (volume id;
 * the modification time is the UUID GRUB's `search --fs-uuid` looks for; see
 * core/iso9660/bootLayout.ts), and one `lsdl` line per file and directory, sorted.
 */
export async function inspectImage(iso: string, signal?: AbortSignal): Promise<{ boot: string; files: string[] }> {
  const { stdout } = await xorriso(['-abort_on', 'FAILURE', '-indev', iso, ...BOOT_REPORT, '-find', '/', '-exec', 'lsdl'], REPORT_TIMEOUT_MS, `read the boot records and files of ${iso}`, signal);
  const lines = stdout.split('\n');
  return { boot: lines.filter((l) => !LISTED.test(l)).join('\n'), files: lines.filter((l) => LISTED.test(l)).sort() };
}

export interface ReplaceOptions {
  input: string;
  /** Must not exist: xorriso would treat an existing image as media to append to. */
  output: string;
  /** The file whose content replaces `isoPath`. */
  file: string;
  /** Inside the image, e.g. `/files-iso/config.yaml`. */
  isoPath: string;
  /** The input has a Joliet tree: xorriso keeps Rock Ridge by itself, Joliet only when asked. */
  joliet: boolean;
  /** The input carries libisofs MD5 checksums: record them again for the new image, so `-check_md5` passes on it. */
  md5?: boolean;
  signal?: AbortSignal;
}

/**
 * A new image with one file replaced and the boot setup replayed from the
 * input's own boot records (El Torito entries, MBR/GPT/APM, the GRUB MBR
 * patch, appended partitions, volume id and the modification date GRUB
 * uses as the image's UUID).
 */
export async function replaceFile(options: ReplaceOptions): Promise<void> {
  await xorriso(
    [
      '-abort_on', 'FAILURE',
      // No fsync per 16 MiB (xorriso's default; a 1 GB image on a busy disk took twice as long): the
      // image is renamed into place like a built one (pipeline/publish.ts). Written to a file and hashed
      // after, not streamed through a pipe into edgebuild: that is one copy more (xorriso → pipe →
      // edgebuild → file) and measured 1.1 s more CPU for 1 GiB (BENCHMARKS.md, remaster).
      '-stdio_sync', 'off',
      ...(options.md5 ? ['-md5', 'on'] : []),
      '-indev', options.input,
      '-outdev', options.output,
      '-boot_image', 'any', 'replay',
      ...(options.joliet ? ['-joliet', 'on'] : []),
      '-update', options.file, options.isoPath,
      '-commit',
    ],
    WRITE_TIMEOUT_MS,
    `write a copy of ${options.input} with a new ${options.isoPath}`,
    options.signal,
  );
}
