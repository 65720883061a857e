/**
 * xorriso (Debian package `xorriso`), the one tool that rewrites an ISO 9660
 * image while replaying its boot setup. Every call has a timeout and stops
 * on the abort signal; arguments never carry secrets (files do).
 */
import { execa } from 'execa';
import type { Readable } from 'node:stream';
import { InternalError, RuntimeError } from '../errors.js';
import { writeHashed } from './checksum.js';

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

/** Takes the image xorriso writes to its fd 3; settles when the pipe has ended and all of it is stored. */
type ImageSink = (image: Readable) => Promise<void>;

async function xorriso(args: string[], timeoutMs: number, what: string, signal?: AbortSignal, sink?: ImageSink): Promise<Run> {
  let result;
  let sinkFailure: { error: unknown } | undefined;
  try {
    const child = execa('xorriso', args, {
      timeout: timeoutMs,
      ...(signal ? { cancelSignal: signal } : {}),
      // The image goes to fd 3 (sink): xorriso's messages stay on stdout and stderr, never in the image.
      stdio: sink ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'],
      buffer: sink ? { stdout: true, stderr: true, fd3: false } : true,
      reject: false,
      // Only the reports come back through memory; they are kilobytes.
      maxBuffer: 16 * 1024 * 1024,
    });
    const image = child.stdio[3] as Readable | undefined;
    // A sink that fails (disk full) stops xorriso at once: nobody would read the rest of its image.
    const sinking =
      sink && image
        ? sink(image).then(
            () => undefined,
            (error: unknown) => {
              image.destroy();
              child.kill('SIGKILL');
              return { error };
            },
          )
        : undefined;
    [result, sinkFailure] = await Promise.all([child, sinking]);
  } catch (error) {
    throw new RuntimeError(`cannot run xorriso to ${what}: ${(error as Error).message}`, { code: 'xorriso', fix: 'install xorriso (apt-get install xorriso)' });
  }
  if (signal?.aborted) throw signal.reason;
  const stdout = String(result.stdout ?? '');
  const stderr = String(result.stderr ?? '');
  if ((result as { code?: string }).code === 'ENOENT') {
    throw new RuntimeError(`xorriso is not installed (needed to ${what})`, { code: 'xorriso-missing', fix: 'install it: apt-get install xorriso' });
  }
  // The sink's own failure is the cause; xorriso's end (killed) is only its consequence.
  if (sinkFailure) throw sinkFailure.error;
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
 * The El Torito and system area reports of an image, plain form, and its
 * primary volume descriptor (volume id; the modification time is the UUID
 * GRUB's `search --fs-uuid` looks for). See core/iso9660/bootLayout.ts.
 */
export async function bootReport(iso: string, signal?: AbortSignal): Promise<string> {
  const { stdout } = await xorriso(['-abort_on', 'FAILURE', '-indev', iso, ...BOOT_REPORT], REPORT_TIMEOUT_MS, `read the boot records of ${iso}`, signal);
  return stdout;
}

/**
 * What a remaster compares, in one xorriso run: the boot report (as
 * bootReport) and one `lsdl` line per file and directory, sorted.
 */
export async function inspectImage(iso: string, signal?: AbortSignal): Promise<{ boot: string; files: string[] }> {
  const { stdout } = await xorriso(['-abort_on', 'FAILURE', '-indev', iso, ...BOOT_REPORT, '-find', '/', '-exec', 'lsdl'], REPORT_TIMEOUT_MS, `read the boot records and files of ${iso}`, signal);
  const lines = stdout.split('\n');
  return { boot: lines.filter((l) => !LISTED.test(l)).join('\n'), files: lines.filter((l) => LISTED.test(l)).sort() };
}

export interface ReplaceOptions {
  input: string;
  /** Must not exist: xorriso would treat an existing image as media to append to; replaceFileHashed creates it. */
  output: string;
  /** The file whose content replaces `isoPath`. */
  file: string;
  /** Inside the image, e.g. `/files-iso/config.yaml`. */
  isoPath: string;
  /** The input has a Joliet tree: xorriso keeps Rock Ridge by itself, Joliet only when asked. */
  joliet: boolean;
  signal?: AbortSignal;
}

const replaceArgs = (options: ReplaceOptions, outdev: string): string[] => [
  '-abort_on', 'FAILURE',
  // No fsync per 16 MiB (xorriso's default; a 1 GB image on a busy disk took twice as long): the
  // image is renamed into place like a built one (pipeline/publish.ts). Irrelevant for a pipe.
  '-stdio_sync', 'off',
  '-indev', options.input,
  '-outdev', outdev,
  '-boot_image', 'any', 'replay',
  ...(options.joliet ? ['-joliet', 'on'] : []),
  '-update', options.file, options.isoPath,
  '-commit',
];
const writing = (options: ReplaceOptions): string => `write a copy of ${options.input} with a new ${options.isoPath}`;

/**
 * A new image with one file replaced and the boot setup replayed from the
 * input's own boot records (El Torito entries, MBR/GPT/APM, the GRUB MBR
 * patch, appended partitions, volume id and the modification date GRUB
 * uses as the image's UUID), written by xorriso to `output`; the caller
 * hashes it after. The least CPU of the two ways (BENCHMARKS.md, remaster).
 */
export async function replaceFile(options: ReplaceOptions): Promise<void> {
  await xorriso(replaceArgs(options, options.output), WRITE_TIMEOUT_MS, writing(options), options.signal);
}

/**
 * replaceFile, but xorriso writes the image into a pipe (its fd 3) and
 * edgebuild stores it as `output` (0600, must not exist), hashing it on the
 * way: the hash overlaps xorriso's copy instead of following it, and the
 * file is never read back. One copy more than replaceFile (0.6 s more CPU
 * per GiB), for less wall time when the CPU it needs is free: remaster
 * uses it when it need not hash its input meanwhile. On a pipe xorriso lays
 * the image out as mkisofs did, without the 48 blocks it reserves in a file.
 */
export async function replaceFileHashed(options: ReplaceOptions): Promise<{ sha256: string; size: number }> {
  let hashed: { sha256: string; size: number } | undefined;
  await xorriso(replaceArgs(options, 'stdio:/dev/fd/3'), WRITE_TIMEOUT_MS, writing(options), options.signal, async (image) => void (hashed = await writeHashed(image, options.output)));
  if (!hashed) throw new InternalError('xorriso exited 0 but its image was not stored');
  return hashed;
}
