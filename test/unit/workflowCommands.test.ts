import { expect, test } from 'vitest';
import { closeGroup, errorAnnotation, escapeData, escapeProperty, openGroup } from '../../src/core/workflowCommands.js';

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
