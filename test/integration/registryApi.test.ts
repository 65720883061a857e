/**
 * The registry manifest check (src/adapters/registryApi.ts) through the
 * Bearer token flow hosted registries use (Docker Hub, GHCR, Harbor): a
 * small server on 127.0.0.1 speaking that part of the Distribution API
 * (401 + WWW-Authenticate: Bearer realm=…, a token service behind Basic auth).
 * The Basic flow runs against the real docker-registry in providerImages.test.ts.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { manifestDigest } from '../../src/adapters/registryApi.js';

const DIGEST = 'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
const BASIC = `Basic ${Buffer.from('al:pw').toString('base64')}`;
let server: Server;
let host: string;
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${host}`);
    seen.push(`${req.method} ${url.pathname}${url.search}`);
    if (url.pathname === '/token') {
      if (req.headers.authorization !== BASIC) return void res.writeHead(401).end();
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: `tok-${url.searchParams.get('scope')}` }));
    }
    const m = /^\/v2\/(.+)\/manifests\/(.+)$/.exec(url.pathname);
    if (!m) return void res.writeHead(404).end();
    if (req.headers.authorization !== `Bearer tok-repository:${m[1]}:pull`) {
      return void res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${host}/token",service="test",scope="repository:${m[1]}:pull"` }).end();
    }
    if (m[2] !== 'v1' && m[2] !== DIGEST) return void res.writeHead(404).end();
    res.writeHead(200, { 'docker-content-digest': DIGEST }).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  host = `127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

test('Bearer: the token is fetched with the credentials, for the repository pull scope, then the digest read', async () => {
  expect(await manifestDigest(host, 'edge/provider', 'v1', { username: 'al', secret: 'pw', identityToken: false })).toBe(DIGEST);
  expect(seen).toContain('GET /token?service=test&scope=repository%3Aedge%2Fprovider%3Apull');
});

test('a digest the registry does not have is undefined; refused credentials are exit 1 naming the token service', async () => {
  expect(await manifestDigest(host, 'edge/provider', 'sha256:ffff', { username: 'al', secret: 'pw', identityToken: false })).toBeUndefined();
  await expect(manifestDigest(host, 'edge/provider', 'v1', { username: 'al', secret: 'wrong', identityToken: false })).rejects.toMatchObject({ exitCode: 1, message: expect.stringContaining('token service') });
});

test('nothing listening: exit 1 naming the registry', async () => {
  await expect(manifestDigest('127.0.0.1:9', 'a', 'b', undefined)).rejects.toMatchObject({ exitCode: 1, message: expect.stringContaining('the registry 127.0.0.1:9 did not answer') });
});
