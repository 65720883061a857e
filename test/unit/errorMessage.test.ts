import { describe, expect, test } from 'vitest';
import { InputError, InternalError, InterruptedError, PreflightError, RuntimeError, errorFromMessage, errorToMessage, fromSystemError, isEdgebuildError } from '../../src/errors.js';

/** What the other thread gets: postMessage clones with the structured clone algorithm. */
const across = (error: unknown): Error => errorFromMessage(structuredClone(errorToMessage(error)));

describe('errors posted by a thread', () => {
  test.each([
    new InputError('sites.csv:3: a value is missing', { code: 'site-missing-value', fix: 'fill it in', details: { file: 'sites.csv', line: 3, errors: [{ code: 'x', row: 2 }] } }),
    new RuntimeError('cannot move the site ISOs', { code: 'sites-publish', fix: 'check --out' }),
    new PreflightError('2 CPUs', { code: 'preflight' }),
    new InternalError('a guard tripped'),
    new InterruptedError(),
  ])('%s comes back of its class, with its exit code, message, code, fix and details', (error) => {
    const back = across(error);
    expect(back.constructor).toBe(error.constructor);
    expect(isEdgebuildError(back) && [back.exitCode, back.message, back.code, back.fix, back.details, back.line]).toEqual([error.exitCode, error.message, error.code, error.fix, error.details, error.line]);
  });

  test('a subclass comes back as the class that gives its exit code', () => {
    class DaemonGone extends RuntimeError {}
    const back = across(new DaemonGone('the daemon is gone', { code: 'docker-unavailable' }));
    expect(back).toBeInstanceOf(RuntimeError);
    expect(isEdgebuildError(back) && back.exitCode).toBe(1);
  });

  test('a system error keeps the fields fromSystemError reads: the same one line', () => {
    const enospc = Object.assign(new Error("ENOSPC: no space left on device, write '/out/.staging/a.iso'"), { code: 'ENOSPC', errno: -28, syscall: 'write', path: '/out/.staging/a.iso' });
    const line = fromSystemError(enospc)?.line;
    expect(line).toMatch(/no space left/);
    expect(fromSystemError(across(enospc))?.line).toBe(line);
  });

  test('anything else thrown comes back as an Error with its text', () => {
    expect(across('a string').message).toBe('a string');
    const bug = across(new TypeError('x is undefined'));
    expect([bug.message, isEdgebuildError(bug)]).toEqual(['x is undefined', false]);
  });
});
