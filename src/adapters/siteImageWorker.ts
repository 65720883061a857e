/** The image writer's worker thread (see ImageWriter in siteOutput.ts): one job in, its sha256 or error out, in order. */
import { parentPort } from 'node:worker_threads';
import { writeImage, type ImageJob } from './siteImage.js';

parentPort!.on('message', (job: ImageJob & { id: number }) => {
  try {
    parentPort!.postMessage({ id: job.id, sha256: writeImage(job) });
  } catch (error) {
    const { message, code } = error as NodeJS.ErrnoException;
    parentPort!.postMessage({ id: job.id, error: { message, code } });
  }
});
