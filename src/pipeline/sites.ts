/**
 * `edgebuild sites`: one small cidata ISO per edge site.
 * load → check --out → render + validate + write each site into staging → publish.
 * Rows are read one at a time, and a bounded number of written ISOs wait for their
 * hash (computed on a worker thread); staging makes it all or nothing. A long sites file
 * is written on a thread of its own (writeSitesOnThread, sitesThread.ts).
 */
import { join, resolve } from 'node:path';
import { setImmediate } from 'node:timers/promises';
import { InputError, InterruptedError, RuntimeError, errorFromMessage } from '../errors.js';
import type { EdgebuildError, ErrorMessage } from '../errors.js';
import { buildIsoParts } from '../core/iso9660/writer.js';
import { compileTemplate, renderSite } from '../core/sites/template.js';
import { openSitesFile } from '../core/sites/table.js';
import { SiteResults, type SiteResult, type SiteResultsMessage } from '../core/sites/results.js';
import { directoryPath } from '../adapters/dirPath.js';
import { readUserFile } from '../adapters/files.js';
import { startThread } from '../adapters/thread.js';
import { ImageWriter, MANIFEST, ManifestWriter, createStaging, discardStaging, inspectOut, publishStaging, sweepStaging } from '../adapters/siteOutput.js';

export const SITE_VOLUME_ID = 'cidata';
export const DEFAULT_SITES_OUT = 'out/sites';
/** Errors reported in one run: enough to fix a batch, short enough to read. */
const MAX_ERRORS = 20;
/** Sites rendered between two turns of the event loop: rendering is synchronous, and Ctrl-C is only seen between turns. */
const SITES_PER_TURN = 32;
/**
 * Site ISOs written and not yet hashed: enough to keep the writer's worker busy, few
 * enough to bound memory. Half are awaited at a time, so the other half goes to the
 * worker as one batch.
 */
const IMAGES_IN_FLIGHT = ImageWriter.capacity;
/**
 * Sites files of this many lines or more are written on a thread of their own (see
 * writeSitesOnThread): starting it costs about what 50 sites do, and its heap stays the
 * same size at 1,000 sites or 100,000.
 */
const THREAD_LINES = 256;
/** Three semi-spaces' worth: 4 MiB semi-spaces, what the main thread reaches by 1,000 sites (see adapters/thread.ts). */
const THREAD_YOUNG_GENERATION_MB = 12;
/** Room for an ISO's head: 26 sectors of descriptors and directories, and user-data up to 74 KiB. */
const SCRATCH_BYTES = 128 * 1024;

export interface SitesOptions {
  sites: string;
  template: string;
  out?: string;
  cwd: string;
  env: Record<string, string | undefined>;
  signal?: AbortSignal;
}

export type { SiteResult } from '../core/sites/results.js';

export interface SitesResult {
  status: 'written';
  out: string;
  manifest: string;
  volumeId: string;
  createdAt: string;
  count: number;
  sites: SiteResults;
  warnings: string[];
}

export interface SitesHooks {
  onWarning?: (warning: string) => void;
  onProgress?: (done: number, total: number) => void;
  /**
   * Called once every ISO is written and hashed, before anything is published: the last
   * moment a run can stop with nothing in --out (the sites thread asks its caller here).
   */
  beforePublish?: () => Promise<void>;
}

/** SOURCE_DATE_EPOCH makes the ISOs reproducible, byte for byte. */
export function imageDate(env: Record<string, string | undefined>): Date {
  const epoch = env.SOURCE_DATE_EPOCH;
  if (epoch === undefined || epoch === '') return new Date();
  if (!/^\d+$/.test(epoch)) throw new InputError(`SOURCE_DATE_EPOCH=${epoch} is not a number of seconds`, { code: 'usage', fix: 'set SOURCE_DATE_EPOCH to a Unix time, e.g. $(git log -1 --format=%ct)' });
  return new Date(Number(epoch) * 1000);
}

function unusedColumnWarnings(columns: string[], fields: Set<string>, sitesFile: string, templateFile: string): string[] {
  const unused = columns.filter((c) => c !== 'name' && !fields.has(c));
  return unused.map((c) => `${sitesFile}: column "${c}" is used by no \${site:${c}} placeholder in ${templateFile}`);
}

/** What runSites reads before it writes anything: a thread is handed these, not the paths. */
export interface SitesInputs {
  sites: string;
  template: string;
  date: Date;
}

export async function runSites(options: SitesOptions, hooks: SitesHooks = {}): Promise<SitesResult> {
  const date = imageDate(options.env);
  const inputs: SitesInputs = {
    sites: await readUserFile(resolve(options.cwd, options.sites), 'sites file', options.sites),
    template: await readUserFile(resolve(options.cwd, options.template), 'user-data template', options.template),
    date,
  };
  // A site is at least a line of the sites file: a long one is written on a thread of its own.
  return lineCount(inputs.sites) >= THREAD_LINES ? writeSitesOnThread(options, inputs, hooks) : writeSites(options, inputs, hooks);
}

function lineCount(text: string): number {
  let lines = 0;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) lines++;
  return lines;
}

/** What the sites thread (sitesThread.ts) starts with: the options but the signal, which is a message. */
export interface SitesThreadData {
  options: Omit<SitesOptions, 'signal'>;
  inputs: SitesInputs;
}

/** What the sites thread posts: the hooks' calls (progress once per turn), then its result or its error. */
export type SitesThreadMessage =
  | { type: 'warning'; warning: string }
  | { type: 'progress'; done: number; total: number }
  /** Every ISO is written: may they be published? The answer is 'publish' or 'abort'. */
  | { type: 'publish?' }
  | { type: 'result'; result: Omit<SitesResult, 'sites'> & { sites: SiteResultsMessage } }
  | { type: 'error'; error: ErrorMessage };

/**
 * writeSites on a thread whose young generation is capped (see adapters/thread.ts): on the
 * main thread V8 grows the new space to 32 MiB over a long run; there it stays at 8 MiB.
 * The hooks are called as writeSites calls them, every site's progress included.
 */
async function writeSitesOnThread(options: SitesOptions, inputs: SitesInputs, hooks: SitesHooks): Promise<SitesResult> {
  const { signal, ...plain } = options;
  const thread = startThread(new URL('./sitesThread.js', import.meta.url), { options: plain, inputs } satisfies SitesThreadData, { youngGenerationMb: THREAD_YOUNG_GENERATION_MB });
  const abort = (): void => thread.post('abort');
  signal?.addEventListener('abort', abort, { once: true });
  if (signal?.aborted) abort();
  let done = 0;
  try {
    return await new Promise<SitesResult>((resolveResult, reject) => {
      // A hook that throws stops the run, as it does writeSites: the thread is aborted, and
      // its error is the run's once the thread has cleaned up. Messages arrive in order, so
      // when the thread asks to publish, every progress call has been made.
      let hookError: { error: unknown } | undefined;
      thread.onMessage((m) => {
        const message = m as SitesThreadMessage;
        try {
          if (!hookError && message.type === 'warning') hooks.onWarning?.(message.warning);
          if (!hookError && message.type === 'progress') while (done < message.done) hooks.onProgress?.(++done, message.total);
        } catch (error) {
          hookError = { error };
          thread.post('abort');
        }
        if (message.type === 'publish?') thread.post(hookError ? 'abort' : 'publish');
        else if (message.type === 'result') {
          if (hookError) reject(hookError.error);
          else resolveResult({ ...message.result, sites: SiteResults.fromMessage(message.result.sites) });
        } else if (message.type === 'error') reject(hookError ? hookError.error : errorFromMessage(message.error));
      });
      const fix = 'run edgebuild sites again (it removes what this run left beside --out); if it fails again, report it with this line';
      thread.exited.then(
        () => reject(new RuntimeError('the sites thread stopped before it finished', { code: 'sites-thread', fix })),
        (error: unknown) => reject(new RuntimeError(`the sites thread failed: ${(error as Error).message}`, { code: 'sites-thread', fix, cause: error })),
      );
    });
  } finally {
    signal?.removeEventListener('abort', abort);
    await thread.exited.catch(() => undefined); // it posts its outcome last: it is about to exit
  }
}

/** Renders, writes and publishes the sites of `inputs` on the thread that calls it. */
export async function writeSites(options: SitesOptions, inputs: SitesInputs, hooks: SitesHooks = {}): Promise<SitesResult> {
  const warnings: string[] = [];
  const warn = (w: string): void => {
    warnings.push(w);
    hooks.onWarning?.(w);
  };
  const out = resolve(options.cwd, options.out ?? DEFAULT_SITES_OUT);
  const { date } = inputs;
  const table = openSitesFile(inputs.sites, options.sites);
  const template = compileTemplate(inputs.template, options.template);
  if (template.fields.size === 0) warn(`${options.template} has no \${site:FIELD} placeholder: every site ISO will be the same`);
  unusedColumnWarnings(table.columns, template.fields, options.sites, options.template).forEach(warn);

  await directoryPath(out, '--out'); // a regular file (or one on the way) is exit 2, not a failed mkdir
  const state = await inspectOut(out);
  await sweepStaging(out);
  const staging = await createStaging(out);
  const sites = new SiteResults(table.count);
  const errors: EdgebuildError[] = [];
  let manifest: ManifestWriter;
  try {
    manifest = new ManifestWriter(staging, { volumeId: SITE_VOLUME_ID, createdAt: date.toISOString(), sites: [] });
  } catch (error) {
    await discardStaging(staging);
    throw error;
  }
  const writer = new ImageWriter(staging, table.count);
  // ISOs not yet hashed, oldest first: each site's result is kept, and its sites.json
  // entry written, once its hash is known, so both stay in row order.
  const inFlight: { site: SiteResult; sha256: Promise<string> }[] = [];
  const settle = async (): Promise<void> => {
    const next = inFlight.shift();
    if (!next) return;
    const { site, sha256 } = next;
    site.sha256 = await sha256;
    sites.push(site);
    manifest.add({ name: site.name, file: site.file, size: site.size, sha256: site.sha256 });
  };
  let rendered = 0;
  // The image writer copies each head before write() returns: one buffer serves every site.
  const scratch = Buffer.alloc(SCRATCH_BYTES);
  try {
    // Rows are made one at a time from the sites file: only the short results stay.
    for (const row of table.rows()) {
      if (row.row % SITES_PER_TURN === 0) await setImmediate();
      if (options.signal?.aborted) throw new InterruptedError();
      try {
        const { text } = renderSite(template, {
          name: row.name,
          row: row.row,
          place: { file: options.sites, line: row.line },
          value: (field) => row.values.get(field),
          env: options.env,
        });
        if (errors.length > 0) continue; // keep checking the rest, stop writing
        const iso = buildIsoParts({
          volumeId: SITE_VOLUME_ID,
          files: [
            { name: 'user-data', data: Buffer.from(text, 'utf8') },
            { name: 'meta-data', data: Buffer.alloc(0) },
          ],
          date,
        }, scratch);
        const site: SiteResult = { name: row.name, row: row.row, line: row.line, file: `${row.fileName}.iso`, size: iso.size, sha256: '' };
        // 0600: site user-data usually carries a registration token.
        const sha256 = writer.write(site.file, iso.head, iso.size, 0o600);
        sha256.catch(() => undefined); // a failure is thrown when its turn comes in settle()
        inFlight.push({ site, sha256 });
        if (inFlight.length >= IMAGES_IN_FLIGHT) while (inFlight.length > IMAGES_IN_FLIGHT / 2) await settle();
        hooks.onProgress?.(++rendered, table.count);
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        errors.push(error);
        if (errors.length >= MAX_ERRORS) break;
      }
    }
    const [firstError] = errors;
    if (firstError) throw aggregate(firstError, errors, table.count);
    while (inFlight.length > 0) await settle();
    await writer.close();
    await hooks.beforePublish?.();
    if (options.signal?.aborted) throw new InterruptedError();
    manifest.finish();
    try {
      await publishStaging(staging, out, state);
    } catch (error) {
      throw new RuntimeError(`cannot move the site ISOs into ${out}: ${(error as Error).message}`, { code: 'sites-publish', fix: 'check that --out is writable and not in use', cause: error });
    }
  } catch (error) {
    await writer.close(); // no write may land in the staging directory once it is being removed
    manifest.finish(false);
    await discardStaging(staging);
    throw error;
  }
  return { status: 'written', out, manifest: join(out, MANIFEST), volumeId: SITE_VOLUME_ID, createdAt: date.toISOString(), count: sites.length, sites, warnings };
}

/** `first` is errors[0]. */
function aggregate(first: EdgebuildError, errors: EdgebuildError[], total: number): EdgebuildError {
  if (errors.length === 1) return first;
  const more = errors.length >= MAX_ERRORS ? `at least ${errors.length - 1}` : String(errors.length - 1);
  return new InputError(`${first.message} (and ${more} more of ${total} sites fail; no ISO was written)`, {
    code: first.code,
    ...(first.fix ? { fix: first.fix } : {}),
    details: { ...first.details, errors: errors.map((e) => ({ code: e.code, message: e.message, ...e.details })) },
  });
}
