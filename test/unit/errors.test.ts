import { expect, test } from 'vitest';
import { InputError, RuntimeError, fromSystemError } from '../../src/errors.js';

test.each([
  ['no tag given', 'pass --tag', 'no tag given. Fix: pass --tag'],
  // A message quoted from another tool that ends with a period gets no second one.
  ['the engine said: no such image.', 'pull it', 'the engine said: no such image. Fix: pull it'],
  ['unknown option.', undefined, 'unknown option.'],
])('line of %j + fix %j', (message, fix, line) => {
  expect(new InputError(message, { code: 'x', ...(fix ? { fix } : {}) }).line).toBe(line);
  expect(new RuntimeError(message, { code: 'x', ...(fix ? { fix } : {}) }).line).toBe(line);
});

test.each([
  [Object.assign(new Error("ENOTDIR: not a directory, mkdir '/c/x/git'"), { code: 'ENOTDIR', syscall: 'mkdir', path: '/c/x/git' }), 'cannot mkdir /c/x/git: a parent of it is not a directory'],
  [Object.assign(new Error("EACCES: permission denied, open '/o/a.iso'"), { code: 'EACCES', syscall: 'open', path: '/o/a.iso' }), 'cannot open /o/a.iso: permission denied'],
  [Object.assign(new Error('ENOSPC'), { code: 'ENOSPC', syscall: 'write', path: '/w' }), 'cannot write /w: no space left on the device'],
  [Object.assign(new Error('EXDEV'), { code: 'EXDEV', syscall: 'rename', path: '/a', dest: '/b' }), undefined], // not one the user can fix by a path: stays internal
  [Object.assign(new Error('no path'), { code: 'EACCES' }), undefined],
  [new TypeError('x is undefined'), undefined],
  [Object.assign(new Error('spawn git ENOENT'), { code: 'ENOENT', syscall: 'spawn git', path: 'git' }), undefined],
])('fromSystemError(%s)', (error, message) => {
  const converted = fromSystemError(error);
  expect(converted?.message).toBe(message);
  if (converted) expect(converted.exitCode).toBe(1);
});
