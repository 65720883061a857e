import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { chooseEngine, contextMetaPath, contextTlsDir } from '../../src/core/dockerContext.js';
import { DockerUnavailable, resolveEngine } from '../../src/adapters/docker.js';

const files = (map: Record<string, string>) => ({ configDir: '/home/u/.docker', read: (p: string) => map[p] });
const meta = (name: string, host: string) => JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker: { Host: host, SkipTLSVerify: false } } });

describe('chooseEngine: the engine the docker CLI would use', () => {
  test('the meta.json of a context lives under the sha256 of its name', () => {
    // `printf default | sha256sum`, the folder the docker CLI uses for a context named "default".
    expect(contextMetaPath('default')).toBe('contexts/meta/37a8eec1ce19687d132fe29051dca629d164e2c4958ba141d5f4133a33f0688f/meta.json');
  });

  test('DOCKER_HOST wins over DOCKER_CONTEXT and the current context', () => {
    const f = files({ 'config.json': '{"currentContext":"lab"}', [contextMetaPath('lab')]: meta('lab', 'tcp://10.0.0.1:2375') });
    expect(chooseEngine({ DOCKER_HOST: 'unix:///tmp/d.sock', DOCKER_CONTEXT: 'lab' }, f)).toEqual({ host: 'unix:///tmp/d.sock' });
  });

  test('DOCKER_CONTEXT wins over config.json; "default" and none mean the default socket', () => {
    const f = files({ 'config.json': '{"currentContext":"lab"}', [contextMetaPath('lab')]: meta('lab', 'tcp://10.0.0.1:2375'), [contextMetaPath('rootless')]: meta('rootless', 'unix:///run/user/1000/docker.sock') });
    expect(chooseEngine({ DOCKER_CONTEXT: 'rootless' }, f)).toEqual({ host: 'unix:///run/user/1000/docker.sock', context: 'rootless', via: 'DOCKER_CONTEXT' });
    expect(chooseEngine({}, f)).toEqual({ host: 'tcp://10.0.0.1:2375', context: 'lab', via: 'config.json' });
    expect(chooseEngine({ DOCKER_CONTEXT: 'default' }, f)).toEqual({ host: undefined });
    expect(chooseEngine({}, files({}))).toEqual({ host: undefined });
    expect(chooseEngine({}, files({ 'config.json': '{"auths":{}}' }))).toEqual({ host: undefined });
  });

  test('a context\'s TLS files (contexts/tls/<sha256 of its name>/docker/) and SkipTLSVerify come with its host', () => {
    const dir = contextTlsDir('secure');
    expect(dir).toBe(`contexts/tls/${contextMetaPath('secure').split('/')[2]}/docker`);
    const f = files({ [contextMetaPath('secure')]: meta('secure', 'tcp://127.0.0.1:2376'), [`${dir}/ca.pem`]: 'CA', [`${dir}/cert.pem`]: 'CERT', [`${dir}/key.pem`]: 'KEY' });
    expect(chooseEngine({ DOCKER_CONTEXT: 'secure' }, f)).toEqual({ host: 'tcp://127.0.0.1:2376', context: 'secure', via: 'DOCKER_CONTEXT', tls: { ca: 'CA', cert: 'CERT', key: 'KEY', skipVerify: false } });
    const skip = files({ [contextMetaPath('skip')]: JSON.stringify({ Endpoints: { docker: { Host: 'tcp://127.0.0.1:2376', SkipTLSVerify: true } } }) });
    expect(chooseEngine({ DOCKER_CONTEXT: 'skip' }, skip)).toMatchObject({ tls: { skipVerify: true } });
    expect(chooseEngine({ DOCKER_CONTEXT: 'secure' }, files({ [contextMetaPath('secure')]: meta('secure', 'tcp://127.0.0.1:2376') }))).not.toHaveProperty('tls');
  });

  test('a context that does not exist or has no docker endpoint is an error naming it', () => {
    expect(chooseEngine({ DOCKER_CONTEXT: 'gone' }, files({}))).toMatchObject({ context: 'gone', error: expect.stringContaining('docker context "gone" (from DOCKER_CONTEXT) does not exist') });
    expect(chooseEngine({ DOCKER_CONTEXT: 'x' }, files({ [contextMetaPath('x')]: '{"Endpoints":{}}' }))).toMatchObject({ error: expect.stringContaining('has no Docker endpoint') });
  });
});

describe('resolveEngine reads ~/.docker (or DOCKER_CONFIG) as the docker CLI does', () => {
  const home = mkdtempSync(join(tmpdir(), 'edgebuild-ctx-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));
  const write = (path: string, text: string): void => {
    mkdirSync(dirname(join(home, '.docker', path)), { recursive: true });
    writeFileSync(join(home, '.docker', path), text);
  };

  test('a current context pointing at a remote engine is a remote endpoint named by its context', () => {
    write('config.json', '{"currentContext":"lab"}');
    write(contextMetaPath('lab'), meta('lab', 'tcp://10.0.0.1:2375'));
    expect(resolveEngine({ HOME: home }).endpoint).toMatchObject({ url: 'tcp://10.0.0.1:2375', local: false, context: 'lab', fromEnv: false });
    expect(resolveEngine({ HOME: '/nonexistent', DOCKER_CONFIG: join(home, '.docker') }).endpoint.context).toBe('lab');
    expect(resolveEngine({ HOME: home, DOCKER_HOST: 'unix:///tmp/x.sock' }).endpoint).toMatchObject({ url: 'unix:///tmp/x.sock', fromEnv: true });
    expect(() => resolveEngine({ HOME: home, DOCKER_CONTEXT: 'nope' })).toThrow(DockerUnavailable);
  });
});
