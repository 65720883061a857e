/**
 * The sites thread (see writeSitesOnThread in sites.ts): writeSites with its hooks and
 * its abort as messages. Progress is posted once per turn of the event loop, not per site.
 * Before it publishes, it asks its caller ('publish?'), who answers once it has made every
 * progress call: a hook that threw, or Ctrl-C, still stops the run with nothing published.
 */
import { threadChannel } from '../adapters/thread.js';
import { errorToMessage } from '../errors.js';
import { writeSites, type SitesThreadData, type SitesThreadMessage } from './sites.js';

const channel = threadChannel();
const { options, inputs } = channel.data as SitesThreadData;
const post = (message: SitesThreadMessage): void => channel.post(message);
const controller = new AbortController();
/** Answers 'publish?': resolved by the caller's 'publish' or 'abort' (an abort also aborts the run). */
let answer: (() => void) | undefined;
channel.onMessage((message) => {
  if (message === 'abort') controller.abort();
  if (message === 'abort' || message === 'publish') answer?.();
});
let progress: { done: number; total: number } | undefined;
const flush = (): void => {
  if (progress) post({ type: 'progress', ...progress });
  progress = undefined;
};
try {
  const result = await writeSites({ ...options, signal: controller.signal }, inputs, {
    onWarning: (warning) => post({ type: 'warning', warning }),
    onProgress: (done, total) => {
      if (!progress) queueMicrotask(flush);
      progress = { done, total };
    },
    beforePublish: () => {
      flush();
      const answered = new Promise<void>((resolve) => (answer = resolve));
      post({ type: 'publish?' });
      return answered;
    },
  });
  flush();
  post({ type: 'result', result: { ...result, sites: result.sites.toMessage() } });
} catch (error) {
  flush();
  post({ type: 'error', error: errorToMessage(error) });
} finally {
  channel.release();
}
