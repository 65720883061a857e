/**
 * The in-place write of `remaster`: the input copied with `fs.copyFile`
 * (libuv's `copy_file_range`: the kernel copies, and shares the blocks where
 * the file system can reflink), then the patch of core/iso9660/inPlace.ts as
 * positional writes. The plan reads the input through positional reads of
 * one file handle.
 */
import { constants } from 'node:fs';
import { copyFile, open } from 'node:fs/promises';
import { RuntimeError } from '../errors.js';
import { planInPlace, type InPlacePlan, type PatchWrite } from '../core/iso9660/inPlace.js';

/** What core/iso9660/inPlace.ts decides for `isoPath` inside `iso`, reading the image through one handle. */
export async function planInPlaceWrite(iso: string, isoPath: string, newSize: number): Promise<InPlacePlan> {
  const handle = await open(iso, 'r');
  try {
    const imageSize = (await handle.stat()).size;
    const read = async (offset: number, length: number): Promise<Uint8Array> => {
      if (!Number.isSafeInteger(offset) || offset < 0 || length < 0 || offset + length > imageSize) throw new Error(`bytes ${offset}..${offset + length} lie beyond the end of the ${imageSize}-byte image`);
      const buf = Buffer.alloc(length);
      for (let done = 0; done < length; ) {
        const { bytesRead } = await handle.read(buf, done, length - done, offset + done);
        if (bytesRead === 0) throw new Error('the image shrank while being read');
        done += bytesRead;
      }
      return buf;
    };
    return await planInPlace(read, { path: isoPath, newSize, imageSize });
  } finally {
    await handle.close();
  }
}

/**
 * Copies `input` to `output` (which must not exist) and applies `writes`.
 * The output is left for the caller to hash, check and publish (renamed,
 * its directory fsynced, as the xorriso path's output is).
 */
export async function writePatchedCopy(input: string, output: string, writes: readonly PatchWrite[], signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) throw signal.reason;
  try {
    await copyFile(input, output, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
  } catch (error) {
    throw new RuntimeError(`cannot copy ${input} to ${output}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { code: 'remaster-copy', fix: 'check the free space and permissions of --out', cause: error });
  }
  if (signal?.aborted) throw signal.reason;
  const handle = await open(output, 'r+');
  try {
    for (const w of writes) {
      for (let done = 0; done < w.bytes.length; ) done += (await handle.write(w.bytes, done, w.bytes.length - done, w.offset + done)).bytesWritten;
    }
  } finally {
    await handle.close();
  }
}
