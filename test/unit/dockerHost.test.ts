import { describe, expect, test } from 'vitest';
import { DockerUnavailable, classifyDockerError, parseDockerHost } from '../../src/adapters/docker.js';

describe('parseDockerHost: DOCKER_HOST as the docker CLI reads it', () => {
  test.each([
    [undefined, { url: 'unix:///var/run/docker.sock', kind: 'unix', address: '/var/run/docker.sock', fromEnv: false, local: true }, { socketPath: '/var/run/docker.sock', host: undefined }],
    ['', { url: 'unix:///var/run/docker.sock', fromEnv: false }, { socketPath: '/var/run/docker.sock' }],
    ['unix:///run/user/1000/docker.sock', { url: 'unix:///run/user/1000/docker.sock', kind: 'unix', address: '/run/user/1000/docker.sock', fromEnv: true, local: true }, { socketPath: '/run/user/1000/docker.sock' }],
    ['unix://', { url: 'unix:///var/run/docker.sock', fromEnv: true }, { socketPath: '/var/run/docker.sock' }],
    ['npipe:////./pipe/docker_engine', { url: 'npipe:////./pipe/docker_engine', kind: 'npipe', address: '//./pipe/docker_engine', local: true }, { socketPath: '//./pipe/docker_engine' }],
    ['tcp://127.0.0.1:2375', { url: 'tcp://127.0.0.1:2375', kind: 'tcp', address: '127.0.0.1:2375', local: true }, { protocol: 'http', host: '127.0.0.1', port: '2375', socketPath: undefined }],
    ['tcp://localhost:2375', { kind: 'tcp', local: true }, { protocol: 'http', host: 'localhost' }],
    ['tcp://build01.lab:2376', { url: 'tcp://build01.lab:2376', address: 'build01.lab:2376', local: false }, { protocol: 'https', host: 'build01.lab', port: '2376' }],
    ['tcp://build01.lab', { url: 'tcp://build01.lab:2375', local: false }, { protocol: 'http', port: '2375' }],
    ['build01.lab:1234', { url: 'tcp://build01.lab:1234', kind: 'tcp' }, { protocol: 'http', host: 'build01.lab', port: '1234' }],
    ['ssh://ci@build01.lab', { url: 'ssh://build01.lab:22', kind: 'ssh', address: 'build01.lab:22', local: false }, { protocol: 'ssh', host: 'build01.lab', username: 'ci' }],
  ] as const)('DOCKER_HOST=%j', (value, endpoint, options) => {
    const parsed = parseDockerHost({ DOCKER_HOST: value });
    expect(parsed.endpoint).toMatchObject(endpoint);
    expect(parsed.options).toMatchObject(options);
  });

  test('DOCKER_TLS_VERIFY=1 makes any tcp port https', () => {
    expect(parseDockerHost({ DOCKER_HOST: 'tcp://h:2375', DOCKER_TLS_VERIFY: '1' }).options.protocol).toBe('https');
  });

  test.each(['foo://bar', 'tcp://', 'http://[bad'])('%j is not a Docker endpoint: exit 1 naming it', (value) => {
    expect(() => parseDockerHost({ DOCKER_HOST: value })).toThrow(DockerUnavailable);
    try {
      parseDockerHost({ DOCKER_HOST: value });
    } catch (error) {
      expect((error as DockerUnavailable).failure).toBe('bad-host');
      expect((error as DockerUnavailable).message).toContain(value);
    }
  });

  test('unreadable DOCKER_CERT_PATH is a TLS failure naming the directory', () => {
    expect(() => parseDockerHost({ DOCKER_HOST: 'tcp://h:2376', DOCKER_CERT_PATH: '/nonexistent/certs' })).toThrow(/DOCKER_CERT_PATH=\/nonexistent\/certs/);
  });
});

describe('classifyDockerError', () => {
  test.each([
    [{ code: 'ENOENT' }, 'no-socket'],
    [{ code: 'EACCES' }, 'permission'],
    [{ code: 'ECONNREFUSED' }, 'refused'],
    [{ code: 'ENOTFOUND' }, 'unresolved'],
    [{ code: 'EAI_AGAIN' }, 'unresolved'],
    [{ code: 'ERR_TLS_CERT_ALTNAME_INVALID' }, 'tls'],
    [{ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }, 'tls'],
    [{ code: 'ECONNRESET' }, 'other'],
    [{ statusCode: 500, code: 'ENOENT' }, undefined], // the engine answered
  ])('%j → %s', (error, failure) => {
    expect(classifyDockerError(error)).toBe(failure);
  });
});
