/**
 * adapters/thread.ts with real worker threads: entry modules written to a temporary folder
 * (a thread's entry must be a file Node.js can load as it is), which import the built
 * adapter (run `npm run build` first; `npm test` does).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { startThread, threadChannel } from '../../src/adapters/thread.js';

const dir = mkdtempSync(join(tmpdir(), 'edgebuild-thread-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const THREAD_MODULE = pathToFileURL(join(import.meta.dirname, '../../dist/adapters/thread.js')).href;

function entry(name: string, body: string): URL {
  const path = join(dir, `${name}.mjs`);
  writeFileSync(path, `import { threadChannel } from ${JSON.stringify(THREAD_MODULE)};\n${body}\n`);
  return pathToFileURL(path);
}

describe('startThread', () => {
  test('passes its data, carries messages both ways in order, and resolves exited once the thread is done', async () => {
    const thread = startThread(entry('echo', `const c = threadChannel();
c.onMessage((m) => {
  if (m !== 'stop') return c.post(m * c.data.factor);
  c.post('bye');
  c.release();
});
c.post('ready');`), { factor: 3 }, { youngGenerationMb: 6 });
    const got: unknown[] = [];
    thread.onMessage((m) => got.push(m));
    for (const n of [1, 2, 3]) thread.post(n);
    thread.post('stop');
    await thread.exited;
    expect(got).toEqual(['ready', 3, 6, 9, 'bye']);
  });

  test('an error the thread does not catch rejects exited with it', async () => {
    const thread = startThread(entry('throws', `threadChannel(); throw new Error('the entry broke');`), null, { youngGenerationMb: 6 });
    await expect(thread.exited).rejects.toThrow('the entry broke');
  });

  test('the young generation is capped as asked', async () => {
    const thread = startThread(entry('heap', `const c = threadChannel();
const v8 = await import('node:v8');
const keep = [];
for (let i = 0; i < 2e6; i++) keep[i % 20000] = { i };
c.post(v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size);
c.release();`), null, { youngGenerationMb: 6 });
    const sizes: number[] = [];
    thread.onMessage((m) => sizes.push(m as number));
    await thread.exited;
    // 6 MiB of young generation: 2 MiB semi-spaces, a 4 MiB new space at most (the main thread's grows to 32 MiB).
    expect(sizes[0]).toBeGreaterThan(0);
    expect(sizes[0]).toBeLessThanOrEqual(4 * 1024 * 1024);
  });

  test('threadChannel on the main thread is a programming error', () => {
    expect(() => threadChannel()).toThrow(/main thread/);
  });
});
