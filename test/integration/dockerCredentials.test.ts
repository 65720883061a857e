/**
 * Registry credentials found the way the docker CLI finds them, with real
 * config files and real `docker-credential-*` helper programs on PATH.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { registryCredential } from '../../src/adapters/dockerCredentials.js';
import { InputError, RuntimeError } from '../../src/errors.js';

const HOST = 'registry.example.com:5000';
let dir: string;
let env: Record<string, string>;

function config(value: unknown): void {
  writeFileSync(join(dir, 'config.json'), typeof value === 'string' ? value : JSON.stringify(value));
}

function helper(name: string, script: string): void {
  writeFileSync(join(dir, 'bin', `docker-credential-${name}`), `#!/bin/sh\necho "$@" >> ${join(dir, 'argv.log')}\n${script}\n`, { mode: 0o755 });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgebuild-creds-'));
  mkdirSync(join(dir, 'bin'));
  env = { DOCKER_CONFIG: dir, PATH: `${join(dir, 'bin')}:${process.env.PATH ?? ''}` };
  helper('store', `read host; printf '{"ServerURL":"%s","Username":"from-store","Secret":"store-secret"}' "$host"`);
  helper('per-host', `read host; [ "$host" = "${HOST}" ] && printf '{"Username":"<token>","Secret":"refresh-123"}'`);
  helper('empty', 'echo "credentials not found in native keychain"; exit 1');
  helper('broken', 'echo "leaked-secret-in-error"; exit 3');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('registryCredential', () => {
  test('auths, keyed as docker login writes them (scheme and path ignored)', async () => {
    config({ auths: { [`https://${HOST}/v1/`]: { auth: Buffer.from('edge:pa:ss').toString('base64') } } });
    expect(await registryCredential(HOST, env)).toEqual({ username: 'edge', password: 'pa:ss', source: join(dir, 'config.json') });
    expect(await registryCredential('other.example.com', env)).toBeUndefined();
  });

  test('credHelpers win over auths; credsStore is the fallback; the host goes on stdin, never in argv', async () => {
    config({ credHelpers: { [HOST]: 'per-host' }, auths: { [HOST]: { auth: Buffer.from('a:b').toString('base64') } }, credsStore: 'store' });
    expect(await registryCredential(HOST, env)).toEqual({ identityToken: 'refresh-123', source: 'docker-credential-per-host' });
    expect(await registryCredential('other.example.com', env)).toMatchObject({ username: 'from-store', password: 'store-secret' });
    expect(readFileSync(join(dir, 'argv.log'), 'utf8').trim().split('\n').every((l) => l === 'get')).toBe(true);
  });

  test('the environment comes first', async () => {
    config({ credsStore: 'store' });
    expect(await registryCredential(HOST, { ...env, EDGEBUILD_REGISTRY_USERNAME: 'ci', EDGEBUILD_REGISTRY_PASSWORD: 'ci-secret' })).toMatchObject({ username: 'ci', password: 'ci-secret' });
  });

  test('a helper with nothing stored is no credential; a failing or missing helper is named, without its output', async () => {
    config({ credsStore: 'empty' });
    expect(await registryCredential(HOST, env)).toBeUndefined();
    config({ credsStore: 'broken' });
    const broken = registryCredential(HOST, env);
    await expect(broken).rejects.toThrow(RuntimeError);
    await expect(broken).rejects.toThrow(/docker-credential-broken get failed for \S+ \(exit 3\)/);
    await expect(registryCredential(HOST, env).catch((e: Error) => e.message)).resolves.not.toContain('leaked-secret');
    config({ credsStore: 'absent' });
    await expect(registryCredential(HOST, env)).rejects.toThrow(/docker-credential-absent is not installed/);
  });

  test('a config.json that is not JSON is exit 2 naming it; none at all is no credential', async () => {
    config('{ not json');
    const bad = registryCredential(HOST, env);
    await expect(bad).rejects.toThrow(InputError);
    await expect(bad).rejects.toThrow(join(dir, 'config.json'));
    expect(await registryCredential(HOST, { DOCKER_CONFIG: join(dir, 'nowhere') })).toBeUndefined();
  });
});
