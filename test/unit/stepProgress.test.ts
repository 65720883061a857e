/**
 * Progress says each thing once (plain lines, as in CI): a failed step's
 * error is printed by the CLI as `error: …`, not also in the step's line; a
 * skipped step's title appears once.
 */
import { expect, test } from 'vitest';
import { StepProgress } from '../../src/pipeline/renderer.js';

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
