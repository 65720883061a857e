import { expect, test } from 'vitest';
import { InputError, RuntimeError } from '../../src/errors.js';

test.each([
  ['no tag given', 'pass --tag', 'no tag given. Fix: pass --tag'],
  // A message quoted from another tool that ends with a period gets no second one.
  ['the engine said: no such image.', 'pull it', 'the engine said: no such image. Fix: pull it'],
  ['unknown option.', undefined, 'unknown option.'],
])('line of %j + fix %j', (message, fix, line) => {
  expect(new InputError(message, { code: 'x', ...(fix ? { fix } : {}) }).line).toBe(line);
  expect(new RuntimeError(message, { code: 'x', ...(fix ? { fix } : {}) }).line).toBe(line);
});
