/**
 * Progress says each thing once (plain lines, as in CI): a failed step's
 * error is printed by the CLI as `error: …`, not also in the step's line; a
 * skipped step's title appears once.
 */
import { Listr, ProcessOutput } from 'listr2';
import { describe, expect, test } from 'vitest';
import { OnceLogger } from '../../src/pipeline/listrProgress.js';
import { StepProgress, type TaskReporter } from '../../src/pipeline/renderer.js';

function progress() {
  let text = '';
  const stderr = { write: (chunk: string) => (text += chunk), isTTY: false };
  return { steps: new StepProgress(stderr, {}), text: () => text };
}

const count = (text: string, part: string) => text.split(part).length - 1;

test('a failed step: its title once, its error not in the progress', async () => {
  const { steps, text } = progress();
  await expect(steps.run('Load build config and user-data', () => Promise.reject(new Error('user-data.yaml:3:1: bad indentation')))).rejects.toThrow('bad indentation');
  expect(text()).toContain('Load build config and user-data');
  expect(text()).not.toContain('bad indentation');
});

test('skipped steps: each title once', async () => {
  const { steps, text } = progress();
  await steps.skip(['Check the build host', 'Build with earthly.sh']);
  expect(count(text(), 'Check the build host')).toBe(1);
  expect(count(text(), 'Build with earthly.sh')).toBe(1);
});

describe('plain lines without listr2', () => {
  // eslint-disable-next-line no-control-regex
  const plain = (text: string) => text.replace(/\x1b\[\d+m/g, '');

  /** The same steps through listr2's own simple renderer, with edgebuild's logger (the error said once): the oracle. */
  async function throughListr(steps: [string, (task: TaskReporter) => Promise<unknown>][]): Promise<string> {
    let text = '';
    const stream = { write: (chunk: string) => ((text += chunk), true) } as unknown as NodeJS.WriteStream;
    const logger = new OnceLogger({ processOutput: new ProcessOutput(stream, stream) });
    for (const [title, step] of steps) {
      const tasks = new Listr([{ title, task: async (_ctx, task) => void (await step(task)) }], { exitOnError: true, registerSignalListeners: false, renderer: 'simple', rendererOptions: { logger } });
      await tasks.run().catch(() => undefined);
    }
    return text;
  }

  async function throughStepProgress(steps: [string, (task: TaskReporter) => Promise<unknown>][], env: Record<string, string | undefined> = {}): Promise<string> {
    let text = '';
    const progress = new StepProgress({ write: (chunk: string) => (text += chunk), isTTY: false }, env);
    for (const [title, step] of steps) await progress.run(title, step).catch(() => undefined);
    return text;
  }

  const STEPS: [string, (task: TaskReporter) => Promise<unknown>][] = [
    ['Resolve CanvOS source', async (task) => void (task.title = 'CanvOS v4.9.38 at 0123456789ab')],
    ['Fetch', async (task) => void (task.output = 'retrying the fetch with backoff (2 s, 5 s, 15 s): fatal: early EOF')],
    ['Lines', async (task) => void (task.output = 'one\n   \n\ntwo\n')],
    ['Build with earthly.sh', () => Promise.reject(new Error('exit 2'))],
  ];

  test("are listr2's simple renderer's lines, byte for byte (colors aside)", async () => {
    const ours = await throughStepProgress(STEPS);
    expect(ours).toBe(plain(await throughListr(STEPS)));
    expect(ours).toContain('✔ CanvOS v4.9.38 at 0123456789ab\n');
    expect(ours).toContain('✖ Build with earthly.sh\n');
  });

  test('icons are colored as listr2 colors them off a terminal: FORCE_COLOR, or CI on GitHub Actions; never with NO_COLOR', async () => {
    const steps = STEPS.slice(0, 1);
    expect(await throughStepProgress(steps, { FORCE_COLOR: '1' })).toBe('\x1b[33m❯\x1b[39m Resolve CanvOS source\n\x1b[32m✔\x1b[39m CanvOS v4.9.38 at 0123456789ab\n');
    expect(await throughStepProgress(steps, { CI: 'true', GITHUB_ACTIONS: 'true' })).toContain('\x1b[32m✔\x1b[39m');
    expect(await throughStepProgress(steps, { CI: 'true' })).toBe('❯ Resolve CanvOS source\n✔ CanvOS v4.9.38 at 0123456789ab\n');
    expect(await throughStepProgress(steps, { FORCE_COLOR: '1', NO_COLOR: '1' })).not.toContain('\x1b[');
  });
});
