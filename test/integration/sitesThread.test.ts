/**
 * Long sites files are written on a thread of their own (run `npm run build` first: the
 * thread's entry is the built dist/pipeline/sitesThread.js, so the built pipeline is
 * tested). What comes back from the thread must be what writeSites returns or throws on
 * the calling thread: the same results, warnings, progress and errors, and Ctrl-C.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import type * as Sites from '../../src/pipeline/sites.js';
import type * as Errors from '../../src/errors.js';

const { runSites, writeSites, imageDate } = (await import(resolve('dist/pipeline/sites.js'))) as typeof Sites;
const { InputError, InterruptedError } = (await import(resolve('dist/errors.js'))) as typeof Errors;
const root = mkdtempSync(join(tmpdir(), 'edgebuild-sites-thread-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const TEMPLATE = '#cloud-config\nstylus:\n  site:\n    name: ${site:name}\n    edgeHostToken: ${env:EDGE_TOKEN}\n    tags:\n      city: ${site:city}\n';
const env = { EDGE_TOKEN: 'tok-thread', SOURCE_DATE_EPOCH: '1767225600' };
const ROWS = 300; // over the 256 lines from which runSites starts the thread

/** A work folder with the template and a sites file of `rows` (and an unused column, for a warning). */
function folder(name: string, rows: string[]): string {
  const dir = join(root, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'template.yaml'), TEMPLATE);
  writeFileSync(join(dir, 'sites.csv'), `name,city,unused\n${rows.join('\n')}\n`);
  return dir;
}
const rows = (n: number, city = (i: number) => `"City ${i}: ""x"""`) => Array.from({ length: n }, (_, i) => `site-${String(i).padStart(4, '0')},${city(i)},u`);

/** runSites (a thread, for this many rows) and writeSites (here) on the same input, with what their hooks saw. */
async function both(name: string, input: string[], signalAt?: number) {
  const run = async (how: 'thread' | 'here') => {
    const cwd = folder(`${name}-${how}`, input);
    const options = { sites: 'sites.csv', template: 'template.yaml', out: 'out', cwd, env };
    const controller = new AbortController();
    const progress: number[] = [];
    let threads = 0;
    const warnings: string[] = [];
    const hooks = {
      onWarning: (w: string) => warnings.push(w),
      onProgress: (done: number) => {
        progress.push(done);
        if (done === 1) threads = readdirSync('/proc/self/task').length;
        if (done === signalAt) controller.abort();
      },
    };
    const withSignal = { ...options, signal: controller.signal };
    const inputs = { sites: readFileSync(join(cwd, 'sites.csv'), 'utf8'), template: TEMPLATE, date: imageDate(env) };
    const outcome = await (how === 'thread' ? runSites(withSignal, hooks) : writeSites(withSignal, inputs, hooks)).then(
      (result) => ({ result }),
      (error: unknown) => ({ error }),
    );
    return { cwd, outcome, progress, warnings, threads };
  };
  return { thread: await run('thread'), here: await run('here') };
}

describe('sites on a thread', () => {
  test('gives the results, warnings and every progress step that writeSites gives, and the same ISOs', async () => {
    const { thread, here } = await both('same', rows(ROWS));
    if (!('result' in thread.outcome) || !('result' in here.outcome)) throw new Error('both runs should succeed');
    const { result: a } = thread.outcome;
    const { result: b } = here.outcome;
    expect(a.count).toBe(ROWS);
    // The process runs one thread more while the sites are written (both hash on a worker thread).
    expect(thread.threads).toBe(here.threads + 1);
    expect({ ...a, out: '', manifest: '', sites: a.sites.toJSON() }).toEqual({ ...b, out: '', manifest: '', sites: b.sites.toJSON() });
    expect(thread.warnings).toEqual(here.warnings);
    expect(thread.warnings).toEqual([expect.stringContaining('column "unused"')]);
    expect(thread.progress).toEqual(Array.from({ length: ROWS }, (_, i) => i + 1));
    expect(readFileSync(join(thread.cwd, 'out', 'sites.json'), 'utf8')).toBe(readFileSync(join(here.cwd, 'out', 'sites.json'), 'utf8'));
    expect(readFileSync(join(thread.cwd, 'out', 'site-0299.iso')).equals(readFileSync(join(here.cwd, 'out', 'site-0299.iso')))).toBe(true);
  });

  test('throws the input error writeSites throws, of its class, and writes nothing', async () => {
    const { thread, here } = await both('error', rows(ROWS, (i) => (i === 280 || i === 290 ? '' : `c${i}`)));
    if (!('error' in thread.outcome) || !('error' in here.outcome)) throw new Error('both runs should fail');
    const [a, b] = [thread.outcome.error, here.outcome.error];
    expect(a).toBeInstanceOf(InputError);
    expect(b).toBeInstanceOf(InputError);
    const fields = (e: unknown) => {
      const x = e as Errors.InputError;
      return { message: x.message, code: x.code, fix: x.fix, details: x.details, exitCode: x.exitCode };
    };
    expect(fields(a)).toEqual(fields(b));
    expect(fields(a).message).toMatch(/row 281.*and 1 more of 300 sites/);
    expect(readdirSync(thread.cwd).sort()).toEqual(['sites.csv', 'template.yaml']);
  });

  // At the last site too: the thread asks before it publishes, after every progress call.
  test.each([40, ROWS])('a run aborted at site %i stops on the thread: InterruptedError, no --out, no staging left', async (at) => {
    const { thread } = await both(`abort-${at}`, rows(ROWS), at);
    if (!('error' in thread.outcome)) throw new Error('the run should be interrupted');
    expect(thread.outcome.error).toBeInstanceOf(InterruptedError);
    expect(thread.progress.length).toBeLessThanOrEqual(ROWS);
    expect(existsSync(join(thread.cwd, 'out'))).toBe(false);
    expect(readdirSync(thread.cwd).sort()).toEqual(['sites.csv', 'template.yaml']);
  });

  test.each([30, ROWS])('a hook that throws at site %i stops the run with its error, as in writeSites, once the thread has cleaned up', async (at) => {
    const outcomes = await Promise.all(
      (['thread', 'here'] as const).map(async (how) => {
        const cwd = folder(`hook-${at}-${how}`, rows(ROWS));
        const options = { sites: 'sites.csv', template: 'template.yaml', out: 'out', cwd, env };
        const hooks = {
          onProgress: (done: number) => {
            if (done === at) throw new Error('the progress display broke');
          },
        };
        const inputs = { sites: readFileSync(join(cwd, 'sites.csv'), 'utf8'), template: TEMPLATE, date: imageDate(env) };
        const error = await (how === 'thread' ? runSites(options, hooks) : writeSites(options, inputs, hooks)).then(() => undefined, (e: unknown) => e);
        return { error: (error as Error | undefined)?.message, left: readdirSync(cwd).sort() };
      }),
    );
    expect(outcomes[0]).toEqual({ error: 'the progress display broke', left: ['sites.csv', 'template.yaml'] });
    expect(outcomes[0]).toEqual(outcomes[1]);
  });
});
