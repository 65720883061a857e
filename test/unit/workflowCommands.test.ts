import { expect, test } from 'vitest';
import { closeGroup, commandFreeJson, errorAnnotation, escapeData, escapeProperty, openGroup, withoutCommands } from '../../src/core/github/workflowCommands.js';
import { runnerCommands } from '../fixtures/runnerCommands.js';

test.each([
  ['plain', 'plain'],
  ['50% done', '50%25 done'],
  ['two\nlines\r', 'two%0Alines%0D'],
])('escapeData(%j) = %j', (text, out) => {
  expect(escapeData(text)).toBe(out);
});

test('properties also escape : and ,', () => {
  expect(escapeProperty('a:b,c')).toBe('a%3Ab%2Cc');
});

test('an error annotation is one line', () => {
  expect(errorAnnotation('build failed:\nno ISO')).toBe('::error title=edgebuild::build failed:%0Ano ISO\n');
});

test('a group stops command processing until its token', () => {
  expect(openGroup('log', 'abc')).toBe('::group::log\n::stop-commands::abc\n');
  expect(closeGroup('abc')).toBe('::abc::\n::endgroup::\n');
});

const HOSTILE = ['  ::warning::from the build', 'text ##[error]from the build', '::add-mask::x', '\\##[set-output name=a]b', '::stop-commands::guess', '::endgroup::'];

test('the runner-rules parser finds the commands the runner would run', () => {
  expect(runnerCommands(HOSTILE.join('\n')).map((c) => c.name)).toEqual(['warning', 'error', 'add-mask', 'set-output', 'stop-commands']);
  expect(runnerCommands('a\r  ::notice::b\r\n::unknown::c ##[debug]d').map((c) => c.name)).toEqual(['notice', 'debug']);
});

test('lines between stop-commands and the token are not commands; the runner resumes after the token', () => {
  const text = `${withoutCommands(HOSTILE.join('\n'), 'f00d')}::error::ours\n`;
  expect(runnerCommands(text).map((c) => c.line)).toEqual(['::stop-commands::f00d', '::f00d::', '::error::ours']);
});

test('JSON carrying build output: no line is a command, and it reads back the same', () => {
  const document = { status: 'error', error: { tail: HOSTILE, message: 'a ##[b] \\##[c] ##[##[' } };
  const text = commandFreeJson(JSON.stringify(document, null, 2));
  expect(runnerCommands(JSON.stringify(document, null, 2)).length).toBeGreaterThan(0); // what it fixes
  expect(runnerCommands(text)).toEqual([]);
  expect(JSON.parse(text)).toEqual(document);
});
