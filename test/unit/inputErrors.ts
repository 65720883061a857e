import { expect } from 'vitest';
import { InputError } from '../../src/errors.js';

/** Asserts that `run` fails as bad input: exit 2, a message matching `message`, and a fix. */
export function expectInputError(run: () => unknown, message: RegExp): void {
  let error: unknown;
  try {
    run();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(InputError);
  expect((error as InputError).message).toMatch(message);
  expect((error as InputError).exitCode).toBe(2);
  expect((error as InputError).fix).toBeTruthy();
}
