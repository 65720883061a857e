/**
 * `docker context use` / DOCKER_CONTEXT: edgebuild checks the engine the
 * docker CLI in earthly.sh would use. A context pointing at a remote engine
 * fails the docker check with exit 3 and the reason, without contacting it;
 * one pointing at a local socket is followed.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as connectUnix } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { contextMetaPath, contextTlsDir } from '../../src/core/dockerContext.js';
import { createCanvosRepo } from '../fixtures/canvosRepo.js';
import { makeCa } from '../fixtures/ociRegistry.js';
import { ERA_TAGS, eraFixtureTags } from '../fixtures/eraScript.js';
import { runCli } from './cli.js';

let home: string;
const SKIP = ['--skip-check', 'cpu,memory,disk,privileged'];

/** What `docker context create <name> --docker host=<host>` (and `docker context use`) write. */
function dockerContext(name: string, host: string, use: boolean, skipTlsVerify = false): void {
  const meta = join(home, '.docker', contextMetaPath(name));
  mkdirSync(dirname(meta), { recursive: true });
  writeFileSync(meta, JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker: { Host: host, SkipTLSVerify: skipTlsVerify } } }));
  if (use) writeFileSync(join(home, '.docker', 'config.json'), JSON.stringify({ auths: {}, currentContext: name }));
}

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'edgebuild-context-'));
  dockerContext('lab', 'tcp://203.0.113.7:2375', true);
  if (process.env.DOCKER_HOST?.startsWith('unix://')) dockerContext('local', process.env.DOCKER_HOST, false);
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

type Checks = Record<string, { status: string; message: string; fix?: string }>;
const checksOf = (stdout: string): Checks => Object.fromEntries((JSON.parse(stdout) as { checks: ({ id: string } & Checks[string])[] }).checks.map((c) => [c.id, c]));

describe('the docker context', () => {
  test('doctor: the current context points at a remote engine → exit 3 with the reason and the fix', async () => {
    const started = Date.now();
    const result = await runCli(['doctor', '--json', ...SKIP], { cwd: home, env: { HOME: home, DOCKER_HOST: undefined } });
    expect(result.code, result.stderr).toBe(3);
    const docker = checksOf(result.stdout).docker!;
    expect(docker.status).toBe('fail');
    expect(docker.message).toContain('tcp://203.0.113.7:2375 (from docker context "lab") is remote: earthly.sh bind-mounts the CanvOS checkout');
    expect(docker.fix).toContain('docker context use default');
    expect(Date.now() - started).toBeLessThan(10_000); // the remote engine is not waited for
  });

  test('iso: the same context (through DOCKER_CONTEXT) fails the preflight with exit 3 before the build', async () => {
    const repo = createCanvosRepo(eraFixtureTags(), join(home, 'origin'));
    const result = await runCli(['iso', '--json', '--tag', ERA_TAGS.canonical, '--repo', repo.path, '--work-dir', join(home, 'work'), '--out', join(home, 'dist'), '--cache-dir', join(home, 'cache'), '--user-data', join(import.meta.dirname, '../../user-data/default.yaml'), ...SKIP], { cwd: home, env: { HOME: home, DOCKER_HOST: undefined, DOCKER_CONTEXT: 'lab', EDGE_HOST_TOKEN: 't' } });
    expect(result.code, result.stdout).toBe(3);
    expect((JSON.parse(result.stdout) as { error: { message: string } }).error.message).toContain('(from docker context "lab") is remote');
  });

  test('DOCKER_CONTEXT naming a missing context: the docker check fails naming it', async () => {
    const result = await runCli(['doctor', '--json', ...SKIP], { cwd: home, env: { HOME: home, DOCKER_HOST: undefined, DOCKER_CONTEXT: 'gone' } });
    expect(result.code).toBe(3);
    expect(checksOf(result.stdout).docker!.message).toContain('docker context "gone" (from DOCKER_CONTEXT) does not exist');
  });

  test.skipIf(!process.env.DOCKER_HOST?.startsWith('unix://'))('DOCKER_CONTEXT pointing at the local engine is followed', async () => {
    const result = await runCli(['doctor', '--json', ...SKIP], { cwd: home, env: { HOME: home, DOCKER_HOST: undefined, DOCKER_CONTEXT: 'local' } });
    const docker = checksOf(result.stdout).docker!;
    expect(docker.status, docker.message).toBe('pass');
    expect(docker.message).toContain(`${process.env.DOCKER_HOST}`);
  });
});

/**
 * A context created with `--docker host=tcp://127.0.0.1:<port>,ca=…,cert=…,key=…`:
 * the docker CLI stores the files under contexts/tls/<sha256 of the name>/docker/
 * and speaks TLS with them. In front of the real test engine sits a TLS endpoint
 * that, like dockerd --tlsverify, accepts only clients with a certificate of its CA.
 */
describe.skipIf(!process.env.DOCKER_HOST?.startsWith('unix://'))('a docker context with TLS files', () => {
  let server: TlsServer;
  let host: string;
  let tls: string;
  beforeAll(async () => {
    tls = join(home, 'tls');
    const ca = makeCa(tls);
    const ssl = (...args: string[]): void => void execFileSync('openssl', args, { stdio: 'ignore' });
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(tls, 'client.key'), '-out', join(tls, 'client.csr'), '-subj', '/CN=edgebuild test client');
    writeFileSync(join(tls, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
    ssl('x509', '-req', '-in', join(tls, 'client.csr'), '-CA', ca.caFile, '-CAkey', join(tls, 'ca.key'), '-CAcreateserial', '-out', join(tls, 'client.pem'), '-days', '2', '-extfile', join(tls, 'client.ext'));
    const socket = process.env.DOCKER_HOST!.slice('unix://'.length);
    server = createTlsServer({ cert: readFileSync(ca.certFile), key: readFileSync(ca.keyFile), ca: readFileSync(ca.caFile), requestCert: true, rejectUnauthorized: true }, (client) => {
      const engine = connectUnix(socket);
      client.pipe(engine).pipe(client);
      const close = (): void => {
        client.destroy();
        engine.destroy();
      };
      client.on('error', close);
      engine.on('error', close);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    host = `tcp://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(() => server?.close());

  /** The context `name` with the files `files` (name in contexts/tls/… → file under tls/). */
  function tlsContext(name: string, files: Record<string, string>, skipTlsVerify = false): void {
    dockerContext(name, host, false, skipTlsVerify);
    const dir = join(home, '.docker', contextTlsDir(name));
    mkdirSync(dir, { recursive: true });
    for (const [target, source] of Object.entries(files)) copyFileSync(join(tls, source), join(dir, target));
  }
  const doctor = async (context: string) => {
    const result = await runCli(['doctor', '--json', ...SKIP], { cwd: home, env: { HOME: home, DOCKER_HOST: undefined, DOCKER_CONTEXT: context, DOCKER_CERT_PATH: undefined, DOCKER_TLS_VERIFY: undefined } });
    return checksOf(result.stdout).docker!;
  };

  test('its CA, client certificate and key are used: the engine behind the TLS endpoint answers', async () => {
    tlsContext('tls-full', { 'ca.pem': 'ca.pem', 'cert.pem': 'client.pem', 'key.pem': 'client.key' });
    const docker = await doctor('tls-full');
    expect(docker.status, docker.message).toBe('pass');
    expect(docker.message).toContain(host.replace('tcp://', ''));
  });

  test('without a client certificate the endpoint refuses: a TLS failure naming the engine, not a pass', async () => {
    tlsContext('tls-no-client', { 'ca.pem': 'ca.pem' });
    const docker = await doctor('tls-no-client');
    expect(docker.status).toBe('fail');
    expect(docker.message).toContain(host.replace('tcp://', ''));
  });

  test('SkipTLSVerify without the CA: the server certificate is not checked, the client certificate is still sent', async () => {
    tlsContext('tls-skip', { 'cert.pem': 'client.pem', 'key.pem': 'client.key' }, true);
    const skipped = await doctor('tls-skip');
    expect(skipped.status, skipped.message).toBe('pass');
    tlsContext('tls-unknown-ca', { 'cert.pem': 'client.pem', 'key.pem': 'client.key' });
    const checked = await doctor('tls-unknown-ca');
    expect(checked.status).toBe('fail');
    expect(checked.message).toMatch(/TLS|certificate/i);
  });
});
