import { expect, test } from 'vitest';
import { chooseAuth, parseHelperOutput } from '../../src/core/dockerAuth.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

test.each([
  ['no file', undefined, 'reg:5000', { kind: 'none' }],
  ['auths by host', JSON.stringify({ auths: { 'reg:5000': { auth: b64('al:pw:with:colons') } } }), 'reg:5000', { kind: 'basic', username: 'al', password: 'pw:with:colons' }],
  ['auths by URL', JSON.stringify({ auths: { 'https://reg:5000/v1/': { auth: b64('al:pw') } } }), 'reg:5000', { kind: 'basic', username: 'al', password: 'pw' }],
  ['Docker Hub key', JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: b64('al:pw') } } }), 'docker.io', { kind: 'basic', username: 'al', password: 'pw' }],
  ['credHelpers before auths', JSON.stringify({ credHelpers: { 'reg:5000': 'ecr-login' }, auths: { 'reg:5000': { auth: b64('al:pw') } } }), 'reg:5000', { kind: 'helper', helper: 'ecr-login' }],
  ['credsStore for the rest', JSON.stringify({ credsStore: 'pass', credHelpers: { other: 'x' } }), 'reg:5000', { kind: 'helper', helper: 'pass' }],
  ['identity token', JSON.stringify({ auths: { 'reg:5000': { identitytoken: 'tok', username: 'al' } } }), 'reg:5000', { kind: 'token', identityToken: 'tok', username: 'al' }],
  ['another registry only', JSON.stringify({ auths: { other: { auth: b64('al:pw') } } }), 'reg:5000', { kind: 'none' }],
])('%s', (_, text, registry, expected) => expect(chooseAuth(text, registry)).toEqual(expected));

test('a broken config.json is an error, not anonymous', () => {
  expect(chooseAuth('{', 'reg')).toMatchObject({ error: expect.stringContaining('not JSON') });
  expect(chooseAuth(JSON.stringify({ auths: { reg: { auth: b64('nocolon') } } }), 'reg')).toMatchObject({ error: expect.stringContaining('user:password') });
});

test('helper output', () => {
  expect(parseHelperOutput('{"ServerURL":"reg","Username":"al","Secret":"pw"}')).toEqual({ username: 'al', secret: 'pw' });
  expect(parseHelperOutput('nope')).toBeUndefined();
});
