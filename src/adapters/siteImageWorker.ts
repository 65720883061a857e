/**
 * The image writer's worker thread (see ImageWriter in siteOutput.ts): a batch of images
 * in, their sha256s out, in order. An image's bytes are in a slot of the shared buffer, or
 * (when they do not fit one) in the message itself.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { hashImage } from './siteImage.js';

export interface ImageMessage {
  lead: number;
  size: number;
  /** The bytes after the lead: a copy, or where they are in the shared buffer. */
  rest: Uint8Array | { offset: number; length: number };
}

const shared = new Uint8Array(workerData as SharedArrayBuffer);

parentPort!.on('message', (images: ImageMessage[]) => {
  parentPort!.postMessage(
    images.map(({ lead, size, rest }) => hashImage({ lead, size, rest: rest instanceof Uint8Array ? rest : shared.subarray(rest.offset, rest.offset + rest.length) })),
  );
});
