/**
 * push, pull and verify --ref against a real CNCF distribution registry
 * (Debian's docker-registry) on 127.0.0.1: plain http; https with a test CA
 * and htpasswd Basic auth; https with token auth behind a token server; a
 * tampered blob. The large pushes (4 GiB, interrupted) are in ociLarge.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, openSync, readFileSync, readdirSync, statSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sha256 } from '../../src/core/digest.js';
import { ARTIFACT_TYPE, BUILD_KEY, CANVOS_TAG, EMPTY_DIGEST, EMPTY_TYPE, ISO_TYPE, MANIFEST_LAYER_TYPE, OCI_MANIFEST_TYPE, TITLE, imageManifestProblems } from '../../src/core/ociArtifact.js';
import { publishSet } from '../fixtures/publishedSet.js';
import { makeCa, startRegistry, startTokenServer, type TestCa, type TestRegistry, type TokenServer } from '../fixtures/ociRegistry.js';
import { TOKEN, USER_DATA, cli, fresh, httpGet, useWorkDir, work } from './ociWork.js';

useWorkDir();

const PASSWORD = 's3cret-registry-password';
const IDENTITY_TOKEN = 'identity-refresh-token-91c2';

describe('plain http registry', () => {
  let registry: TestRegistry;
  let dist: string;

  beforeAll(async () => {
    registry = await startRegistry(join(work, 'plain'));
    dist = fresh('dist');
    await publishSet(dist, { userData: USER_DATA, isoMode: 0o600, secrets: [TOKEN] });
  }, 60_000);
  afterAll(() => registry.stop());

  test('push: one OCI image manifest (artifactType, empty config, titled layers, build key and CanvOS tag) that the spec rules accept; digest printed and recorded', async () => {
    const r = await cli(['push', 'dist', '--to', `${registry.host}/edge/installer:v1`, '--plain-http', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.layers.map((l: { uploaded: boolean }) => l.uploaded)).toEqual([true, true, true]);
    const stored = await httpGet(registry.host, '/v2/edge/installer/manifests/v1');
    expect(stored.status).toBe(200);
    expect(`sha256:${sha256(stored.body)}`).toBe(result.digest);
    const manifest = JSON.parse(stored.body.toString());
    expect(imageManifestProblems(manifest)).toEqual([]);
    expect(manifest.mediaType).toBe(OCI_MANIFEST_TYPE);
    expect(manifest.artifactType).toBe(ARTIFACT_TYPE);
    expect(manifest.config).toMatchObject({ mediaType: EMPTY_TYPE, digest: EMPTY_DIGEST, size: 2 });
    const local = JSON.parse(readFileSync(join(dist, 'manifest.json'), 'utf8'));
    expect(manifest.layers).toEqual([
      { mediaType: ISO_TYPE, digest: `sha256:${local.artifacts[0].sha256}`, size: local.artifacts[0].size, annotations: { [TITLE]: 'installer.iso' } },
      { mediaType: 'text/plain', digest: `sha256:${local.artifacts[1].sha256}`, size: local.artifacts[1].size, annotations: { [TITLE]: 'installer.iso.sha256' } },
      { mediaType: MANIFEST_LAYER_TYPE, digest: `sha256:${sha256(readFileSync(join(dist, 'manifest.json')))}`, size: statSync(join(dist, 'manifest.json')).size, annotations: { [TITLE]: 'manifest.json' } },
    ]);
    expect(manifest.annotations).toMatchObject({ [BUILD_KEY]: local.buildKey, [CANVOS_TAG]: 'v4.9.38' });
    // Each blob the manifest names is there, with those bytes (the empty config is `{}`).
    const config = await httpGet(registry.host, `/v2/edge/installer/blobs/${EMPTY_DIGEST}`);
    expect(config.body.toString()).toBe('{}');
    expect(JSON.parse(readFileSync(join(dist, 'pushed.json'), 'utf8'))).toEqual([expect.objectContaining({ ref: `${registry.host}/edge/installer:v1`, digest: result.digest })]);
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
  });

  test('another OCI client reads it: skopeo copies the artifact into an OCI layout with every blob intact', async () => {
    const r = await cli(['push', 'dist', '--to', `${registry.host}/edge/installer:v1`, '--plain-http', '--json']);
    const pushed = JSON.parse(r.stdout);
    const layout = fresh('skopeo-layout');
    execFileSync('skopeo', ['copy', '--src-tls-verify=false', `docker://${registry.host}/edge/installer:v1`, `oci:${layout}:v1`], { stdio: 'pipe' });
    const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
    expect(index.manifests[0].digest).toBe(pushed.digest);
    const blob = (digest: string): Buffer => readFileSync(join(layout, 'blobs', 'sha256', digest.slice(7)));
    const manifest = JSON.parse(blob(pushed.digest).toString());
    expect(imageManifestProblems(manifest)).toEqual([]);
    for (const layer of manifest.layers) expect(blob(layer.digest).equals(readFileSync(join(dist, layer.annotations[TITLE])))).toBe(true);
    // …and back: skopeo pushes the layout to another repository, edgebuild pulls and verifies it.
    execFileSync('skopeo', ['copy', '--dest-tls-verify=false', `oci:${layout}:v1`, `docker://${registry.host}/mirror/installer:v1`], { stdio: 'pipe' });
    const pulled = await cli(['pull', `${registry.host}/mirror/installer:v1`, '--out', 'skopeo-pulled', '--plain-http', '--json']);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(JSON.parse(pulled.stdout).digest).toBe(pushed.digest);
  });

  test('a second push uploads nothing (HEAD finds every blob) and names the same digest', async () => {
    const first = JSON.parse((await cli(['push', 'dist', '--to', `${registry.host}/edge/installer:v1`, '--plain-http', '--json'])).stdout);
    const r = await cli(['push', 'dist/installer.iso', '--to', `${registry.host}/edge/installer:again`, '--plain-http', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const second = JSON.parse(r.stdout);
    expect(second.layers.map((l: { uploaded: boolean }) => l.uploaded)).toEqual([false, false, false]);
    expect(second.digest).toBe(first.digest);
  });

  test('pull by tag and by digest into fresh folders: the same files, the ISO private again, verified', async () => {
    const pushed = JSON.parse((await cli(['push', 'dist', '--to', `${registry.host}/edge/installer:v1`, '--plain-http', '--json'])).stdout);
    for (const [name, ref] of [['by-tag', `${registry.host}/edge/installer:v1`], ['by-digest', pushed.pinned]] as const) {
      const out = fresh(name);
      const r = await cli(['pull', ref, '--out', name, '--plain-http', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const result = JSON.parse(r.stdout);
      expect(result.digest).toBe(pushed.digest);
      expect(result.checks.map((c: { id: string }) => c.id)).toContain('user-data');
      expect(readdirSync(out).sort()).toEqual(['installer.iso', 'installer.iso.sha256', 'manifest.json']);
      for (const file of ['installer.iso', 'installer.iso.sha256', 'manifest.json']) expect(readFileSync(join(out, file)).equals(readFileSync(join(dist, file)))).toBe(true);
      expect(statSync(join(out, 'installer.iso')).mode & 0o777).toBe(0o600);
      expect(execFileSync('sha256sum', ['-c', 'installer.iso.sha256'], { cwd: out, encoding: 'utf8' })).toBe('installer.iso: OK\n');
      expect((await cli(['verify', join(name, 'installer.iso')])).code).toBe(0);
    }
  });

  test('verify --ref: the pushed layers against the local manifest.json, no ISO download; another build under the tag fails', async () => {
    await cli(['push', 'dist', '--to', `${registry.host}/edge/installer:v1`, '--plain-http']);
    const ok = await cli(['verify', 'dist/installer.iso', '--ref', `${registry.host}/edge/installer:v1`, '--plain-http', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).checks.filter((c: { id: string }) => c.id === 'ref-layer')).toHaveLength(3);
    const other = fresh('other');
    await publishSet(other, { userData: USER_DATA.replace(TOKEN, 'another-token'), buildKey: 'o'.repeat(64) });
    expect((await cli(['push', 'other', '--to', `${registry.host}/edge/installer:other`, '--plain-http'])).code).toBe(0);
    const bad = await cli(['verify', 'dist/installer.iso', '--ref', `${registry.host}/edge/installer:other`, '--plain-http', '--json']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout).error.code).toBe('ref-layer-differs');
  });

  test('a tampered blob in the registry storage fails the pull (exit 1) with nothing published, and an earlier set in --out untouched', async () => {
    const tampered = fresh('tamper-registry');
    const own = await startRegistry(tampered);
    try {
      expect((await cli(['push', 'dist', '--to', `${own.host}/edge/installer:v1`, '--plain-http'])).code).toBe(0);
      const isoDigest = `sha256:${JSON.parse(readFileSync(join(dist, 'manifest.json'), 'utf8')).artifacts[0].sha256}`;
      const blob = own.blobFile(isoDigest);
      chmodSync(blob, 0o644);
      const fd = openSync(blob, 'r+');
      writeSync(fd, Buffer.from('X'), 0, 1, 40_000); // one byte inside the image, same size
      closeSync(fd);
      const empty = fresh('tamper-empty');
      const r = await cli(['pull', `${own.host}/edge/installer:v1`, '--out', 'tamper-empty', '--plain-http']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/pull-digest|arrived as/);
      expect(readdirSync(empty)).toEqual([]);
      // An --out holding an earlier verified set keeps it, byte for byte.
      const kept = fresh('tamper-kept');
      await publishSet(kept, { userData: USER_DATA.replace(TOKEN, 'older'), buildKey: 'e'.repeat(64) });
      const before = Object.fromEntries(readdirSync(kept).map((f) => [f, sha256(readFileSync(join(kept, f)))]));
      expect((await cli(['pull', `${own.host}/edge/installer:v1`, '--out', 'tamper-kept', '--plain-http'])).code).toBe(1);
      expect(Object.fromEntries(readdirSync(kept).map((f) => [f, sha256(readFileSync(join(kept, f)))]))).toEqual(before);
    } finally {
      await own.stop();
    }
  });

  test('bad references, a missing published set and a foreign --out are exit 2 naming the fix; an unknown tag is exit 1', async () => {
    const noRegistry = await cli(['push', 'dist', '--to', 'edge/installer:v1']);
    expect(noRegistry.code).toBe(2);
    expect(noRegistry.stderr).toMatch(/--to "edge\/installer:v1": it does not start with a registry host/);
    const noTag = await cli(['push', 'dist', '--to', `${registry.host}/edge/installer`, '--plain-http']);
    expect(noTag.code).toBe(2);
    expect(noTag.stderr).toMatch(/it has no tag/);
    mkdirSync(join(work, 'empty-dir'), { recursive: true });
    const noSet = await cli(['push', 'empty-dir', '--to', `${registry.host}/edge/installer:v1`, '--plain-http']);
    expect(noSet.code).toBe(2);
    expect(noSet.stderr).toMatch(/manifest\.json does not exist/);
    // An --out whose manifest.json edgebuild did not write is refused before any download, untouched.
    mkdirSync(join(work, 'webapp'), { recursive: true });
    writeFileSync(join(work, 'webapp', 'manifest.json'), '{"name":"my web app"}\n');
    const foreign = await cli(['pull', `${registry.host}/edge/installer:v1`, '--out', 'webapp', '--plain-http']);
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toMatch(/edgebuild did not write/);
    expect(readdirSync(join(work, 'webapp'))).toEqual(['manifest.json']);
    expect(readFileSync(join(work, 'webapp', 'manifest.json'), 'utf8')).toBe('{"name":"my web app"}\n');
    const missing = await cli(['pull', `${registry.host}/edge/none:v1`, '--out', 'none', '--plain-http']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/HTTP 404/);
  });
});

describe('https registries with credentials', () => {
  let ca: TestCa;
  let dist: string;
  let dockerConfig: string;

  beforeAll(async () => {
    ca = makeCa(join(work, 'ca'));
    dist = fresh('tls-dist');
    await publishSet(dist, { userData: USER_DATA, isoMode: 0o600, secrets: [TOKEN] });
    dockerConfig = join(work, 'docker-config');
    mkdirSync(dockerConfig, { recursive: true });
  }, 60_000);

  test('htpasswd Basic auth: credentials from config.json auths; wrong ones are exit 1 without the password; an untrusted CA says how to trust it', async () => {
    const registry = await startRegistry(join(work, 'basic'), { tls: ca, htpasswd: { edge: PASSWORD } });
    try {
      const ref = `${registry.host}/edge/installer:v1`;
      const env = { DOCKER_CONFIG: dockerConfig, EDGEBUILD_REGISTRY_CA: ca.caFile };
      writeFileSync(join(dockerConfig, 'config.json'), JSON.stringify({ auths: { [`https://${registry.host}`]: { auth: Buffer.from(`edge:${PASSWORD}`).toString('base64') } } }));
      const pushed = await cli(['push', 'tls-dist', '--to', ref, '--json'], env);
      expect(pushed.code, pushed.stderr).toBe(0);
      const pulled = await cli(['pull', ref, '--out', 'tls-pulled', '--json'], env);
      expect(pulled.code, pulled.stderr).toBe(0);
      expect(pushed.stdout + pushed.stderr + pulled.stdout + pulled.stderr).not.toContain(PASSWORD);

      writeFileSync(join(dockerConfig, 'config.json'), JSON.stringify({ auths: { [registry.host]: { auth: Buffer.from('edge:wrong-password').toString('base64') } } }));
      const refused = await cli(['push', 'tls-dist', '--to', ref], env);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/refused the credentials from .*config\.json/);
      expect(refused.stderr).not.toContain('wrong-password');

      // The environment (CI secrets) comes before config.json.
      const fromEnv = await cli(['push', 'tls-dist', '--to', `${registry.host}/edge/installer:env`], { ...env, EDGEBUILD_REGISTRY_USERNAME: 'edge', EDGEBUILD_REGISTRY_PASSWORD: PASSWORD });
      expect(fromEnv.code, fromEnv.stderr).toBe(0);
      expect(fromEnv.stdout + fromEnv.stderr).not.toContain(PASSWORD);

      const untrusted = await cli(['pull', ref, '--out', 'tls-untrusted'], { DOCKER_CONFIG: dockerConfig });
      expect(untrusted.code).toBe(1);
      expect(untrusted.stderr).toMatch(/EDGEBUILD_REGISTRY_CA/);
    } finally {
      await registry.stop();
    }
  }, 60_000);

  test('token auth: a credential helper supplies the password on stdin (never argv), the token server issues a Bearer token, push and pull work', async () => {
    const users = { edge: PASSWORD, refresh: IDENTITY_TOKEN };
    const tokens: TokenServer = await startTokenServer(join(work, 'token'), ca, users);
    const registry = await startRegistry(join(work, 'tokenreg'), { tls: ca, token: tokens });
    const bin = join(work, 'bin');
    mkdirSync(bin, { recursive: true });
    const argvLog = join(work, 'helper-argv.log');
    // A credential helper as docker's protocol defines it: `get`, the server on stdin, JSON on stdout.
    writeFileSync(join(bin, 'docker-credential-edgetest'), `#!/bin/sh\necho "$@" >> ${argvLog}\nread server\n[ "$server" = "${registry.host}" ] || { echo "credentials not found in native keychain"; exit 1; }\nprintf '{"ServerURL":"%s","Username":"edge","Secret":"${PASSWORD}"}' "$server"\n`, { mode: 0o755 });
    writeFileSync(join(dockerConfig, 'config.json'), JSON.stringify({ credHelpers: { [registry.host]: 'edgetest' } }));
    const env = { DOCKER_CONFIG: dockerConfig, EDGEBUILD_REGISTRY_CA: ca.caFile, PATH: `${bin}:${process.env.PATH ?? ''}` };
    try {
      const ref = `${registry.host}/edge/installer:v1`;
      const pushed = await cli(['push', 'tls-dist', '--to', ref, '--json'], env);
      expect(pushed.code, pushed.stderr).toBe(0);
      // The registry names the actions in either order; what matters is a push scope asked for with the helper's Basic credentials.
      const pushScope = (scope: string | null): boolean => /^repository:edge\/installer:(pull,push|push,pull|push)$/.test(scope ?? '');
      expect(tokens.requests.filter((r) => pushScope(r.scope)).map((r) => r.authorization?.split(' ')[0]), JSON.stringify(tokens.requests.map((r) => r.scope))).toContain('Basic');
      const pulled = await cli(['pull', ref, '--out', 'token-pulled', '--json'], env);
      expect(pulled.code, pulled.stderr).toBe(0);
      expect(readFileSync(join(work, 'token-pulled', 'installer.iso')).equals(readFileSync(join(dist, 'installer.iso')))).toBe(true);
      expect(readFileSync(argvLog, 'utf8').trim().split('\n').every((line) => line === 'get')).toBe(true);
      expect(pushed.stdout + pushed.stderr + pulled.stdout + pulled.stderr).not.toContain(PASSWORD);
      // An identity token (docker login with OAuth2) is exchanged as a refresh token, in a POST body.
      writeFileSync(join(dockerConfig, 'config.json'), JSON.stringify({ auths: { [registry.host]: { identitytoken: IDENTITY_TOKEN } } }));
      const byIdentity = await cli(['pull', ref, '--out', 'token-identity', '--json'], env);
      expect(byIdentity.code, byIdentity.stderr).toBe(0);
      expect(byIdentity.stdout + byIdentity.stderr).not.toContain(IDENTITY_TOKEN);
      // Without credentials the token server refuses: exit 1 naming docker login.
      const anonymous = await cli(['pull', ref, '--out', 'token-anon'], { EDGEBUILD_REGISTRY_CA: ca.caFile });
      expect(anonymous.code).toBe(1);
      expect(anonymous.stderr).toMatch(/docker login/);
    } finally {
      await registry.stop();
      await tokens.close();
    }
  }, 60_000);
});
