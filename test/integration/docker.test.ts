/**
 * The Docker adapter against a real engine (DOCKER_HOST), and against the ways
 * an engine fails to be there: a missing socket, a stale one, a daemon that
 * accepts and never answers, a registry that never answers a pull.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { DockerUnavailable, connectDocker, dockerCall, engineFacts } from '../../src/adapters/docker.js';
import { probePrivileged } from '../../src/adapters/dockerProbe.js';
import { dockerHost, describeDocker, testImage } from './dockerGuard.js';

let dir: string;
const servers: Server[] = [];
const sockets: Socket[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgebuild-docker-'));
});
afterEach(async () => {
  sockets.splice(0).forEach((s) => s.destroy());
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A server that accepts connections and never says a word: a hung daemon or registry. */
function silentServer(listen: (server: Server, ready: () => void) => void): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer((socket) => sockets.push(socket));
    servers.push(server);
    listen(server, () => resolve(server));
  });
}

function docker(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('docker', args, { encoding: 'utf8', env: { ...process.env, DOCKER_HOST: dockerHost } });
  return { status: result.status, stdout: result.stdout.trim(), stderr: result.stderr.trim() };
}

describe('an engine that is not there', () => {
  test('a missing socket: no-socket, naming the socket and the likely fix', async () => {
    const socket = join(dir, 'nope', 'docker.sock');
    const facts = await engineFacts(connectDocker({ DOCKER_HOST: `unix://${socket}` }, { timeoutMs: 5000 }));
    expect(facts).toMatchObject({ ok: false, failure: 'no-socket', endpoint: { url: `unix://${socket}`, address: socket, fromEnv: true } });
    const error = new DockerUnavailable(facts.endpoint, 'no-socket', 'x');
    expect(error.message).toBe(`no Docker socket at ${socket}: unix://${socket} (from DOCKER_HOST)`);
    expect(error.fix).toMatch(/start the Docker daemon \(sudo systemctl start docker/);
    expect(error.exitCode).toBe(1);
  });

  test('a stale socket nobody listens on: refused', async () => {
    const socket = join(dir, 'stale.sock');
    // A process that binds the socket and dies without cleaning up leaves the file behind.
    spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socket)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    expect(existsSync(socket)).toBe(true);
    const facts = await engineFacts(connectDocker({ DOCKER_HOST: `unix://${socket}` }, { timeoutMs: 5000 }));
    expect(facts).toMatchObject({ ok: false, failure: 'refused' });
  });

  test('a daemon that accepts and never answers: every call ends at its deadline', async () => {
    const socket = join(dir, 'hung.sock');
    await silentServer((server, ready) => server.listen(socket, ready));
    const client = connectDocker({ DOCKER_HOST: `unix://${socket}` }, { timeoutMs: 300 });
    const facts = await engineFacts(client);
    expect(facts).toEqual({ ok: false, endpoint: client.endpoint, failure: 'timeout', detail: '300 ms (GET /_ping)' });
    // The probe's calls have deadlines too.
    const probe = await probePrivileged(client, testImage);
    expect(probe).toMatchObject({ outcome: 'error', error: expect.stringMatching(/did not answer within 300 ms \(inspect image/) });
  });

  test('a hung call ends at once on Ctrl-C (the abort signal), with its reason', async () => {
    const socket = join(dir, 'hung2.sock');
    await silentServer((server, ready) => server.listen(socket, ready));
    const client = connectDocker({ DOCKER_HOST: `unix://${socket}` }, { timeoutMs: 60_000 });
    const controller = new AbortController();
    const call = dockerCall(client, 'GET /_ping', (abortSignal) => (client.docker as unknown as { ping(o: object): Promise<unknown> }).ping({ abortSignal }), { signal: controller.signal });
    controller.abort(new Error('interrupted'));
    await expect(call).rejects.toThrow('interrupted');
  });

  test('a tcp engine on a loopback port nobody listens on: refused, named by address', async () => {
    const server = await silentServer((s, ready) => s.listen(0, '127.0.0.1', ready));
    const port = (server.address() as { port: number }).port;
    await new Promise((resolve) => server.close(resolve));
    servers.splice(servers.indexOf(server), 1);
    const facts = await engineFacts(connectDocker({ DOCKER_HOST: `tcp://127.0.0.1:${port}` }, { timeoutMs: 5000 }));
    expect(facts).toMatchObject({ ok: false, failure: 'refused', endpoint: { kind: 'tcp', address: `127.0.0.1:${port}`, local: true } });
  });
});

describeDocker('a real engine', () => {
  const env = { DOCKER_HOST: dockerHost };

  test('engineFacts: version, data root and OS as the docker CLI reports them', async () => {
    const facts = await engineFacts(connectDocker(env));
    if (!facts.ok) throw new Error(`engine did not answer: ${facts.failure} ${facts.detail}`);
    expect(facts.version).toBe(docker('version', '--format', '{{.Server.Version}}').stdout);
    expect(facts.rootDir).toBe(docker('info', '--format', '{{.DockerRootDir}}').stdout);
    expect(facts.operatingSystem).toBe(docker('info', '--format', '{{.OperatingSystem}}').stdout);
    expect(facts.architecture).toBe(docker('info', '--format', '{{.Architecture}}').stdout);
    expect(facts.rootless).toBe(docker('info', '--format', '{{json .SecurityOptions}}').stdout.includes('name=rootless'));
    expect(facts.endpoint).toMatchObject({ url: dockerHost.startsWith('unix://') ? dockerHost : expect.any(String), fromEnv: true });
  });

  test('probePrivileged reports what `docker run --privileged` does, with the engine\'s own words, and leaves nothing behind', async () => {
    const probe = await probePrivileged(connectDocker(env), testImage);
    const truth = docker('run', '--rm', '--privileged', '--network', 'none', '--entrypoint', 'true', testImage);
    if (truth.status === 0) {
      expect(probe).toEqual({ outcome: 'started', image: testImage, exitCode: 0, pulled: false });
    } else {
      // The docker CLI prints "Error response from daemon: <the engine's text>."
      const engineText = /Error response from daemon: (.*?)\.?$/m.exec(truth.stderr)?.[1];
      expect(probe).toEqual({ outcome: 'refused', image: testImage, error: engineText });
      // The private test engine (test/setup/docker-engine.sh) refuses for want of capabilities.
      if (dockerHost === 'unix:///tmp/edgebuild-dockerd/docker.sock') expect(probe).toMatchObject({ error: expect.stringContaining('unable to apply caps') });
    }
    // Other test files probe the same engine at the same time: look for this process's probes only.
    expect(docker('ps', '-aq', '--filter', `name=edgebuild-probe-${process.pid}-`).stdout).toBe('');
  });

  test('an image without `true`: an error, not a refusal — a plain container fails too', async () => {
    const image = 'edgebuild-test/empty:latest';
    // An image with no files at all, made without a registry.
    const empty = mkdtempSync(join(dir, 'empty-'));
    const tar = spawnSync('tar', ['-C', empty, '-c', '.']);
    const imported = spawnSync('docker', ['import', '-', image], { input: tar.stdout, env: { ...process.env, DOCKER_HOST: dockerHost } });
    expect(imported.status).toBe(0);
    try {
      const probe = await probePrivileged(connectDocker(env), image);
      expect(probe).toMatchObject({ outcome: 'error', image, error: expect.stringMatching(/a plain container fails too: .*executable file not found/) });
      expect(docker('ps', '-aq', '--filter', `name=edgebuild-probe-${process.pid}-`).stdout).toBe('');
    } finally {
      docker('rmi', image);
    }
  });

  test('an image the engine does not have and cannot pull: no-image, with the engine\'s error', async () => {
    // A registry on a loopback port nobody listens on: the engine fails at once, no network involved.
    const server = await silentServer((s, ready) => s.listen(0, '127.0.0.1', ready));
    const port = (server.address() as { port: number }).port;
    await new Promise((resolve) => server.close(resolve));
    servers.splice(servers.indexOf(server), 1);
    const image = `127.0.0.1:${port}/edgebuild/absent:never`;
    const lines: string[] = [];
    const probe = await probePrivileged(connectDocker(env), image, { onProgress: (l) => lines.push(l) });
    expect(probe).toMatchObject({ outcome: 'no-image', image, error: expect.stringMatching(/127\.0\.0\.1:\d+.*(connection refused|connect)/i) });
    expect(lines).toEqual([`pulling ${image} (at most 300 s)`]);
  });

  test('a registry that never answers: the pull ends at its deadline and says so', async () => {
    const server = await silentServer((s, ready) => s.listen(0, '127.0.0.1', ready));
    const image = `127.0.0.1:${(server.address() as { port: number }).port}/edgebuild/slow:never`;
    const probe = await probePrivileged(connectDocker(env), image, { pullTimeoutMs: 1500 });
    expect(probe).toEqual({ outcome: 'no-image', image, error: 'the pull did not finish within 1.5 s' });
  });

  test('DOCKER_HOST in this process does not leak into a client made for another endpoint', () => {
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = 'tcp://198.51.100.7:2375';
    try {
      const client = connectDocker({ DOCKER_HOST: dockerHost });
      const modem = client.docker.modem as unknown as { socketPath?: string; host?: string };
      if (dockerHost.startsWith('unix://')) expect(modem).toMatchObject({ socketPath: dockerHost.slice(7), host: undefined });
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
  });
});
