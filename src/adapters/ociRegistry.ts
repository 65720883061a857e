/**
 * The OCI distribution API, as much as edgebuild needs: blob HEAD, chunked
 * blob upload (POST, PATCH…, PUT ?digest=), manifest PUT/GET and streamed
 * blob GET. On node:http/https rather than fetch: a private CA per call
 * (`ca`) and back-pressure from the socket without an extra dependency.
 * Auth as registries ask for it in `WWW-Authenticate`: Basic, or Bearer
 * tokens from the realm (with the credentials, or an identity token).
 * Credentials and tokens travel in headers only; no message quotes them.
 */
import { createWriteStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { Hash } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InputError, InterruptedError, RuntimeError } from '../errors.js';
import { parseChallenge } from '../core/ociArtifact.js';
import { sha256Hasher } from '../core/digest.js';
import type { RegistryCredential } from './dockerCredentials.js';

/** Bytes per PATCH: two such buffers are all the memory an upload of any size takes. */
export const CHUNK_BYTES = 32 * 1024 * 1024;
const IDLE_TIMEOUT_MS = 120_000;
const HASH_SLICE = 1024 * 1024;

export interface RegistryOptions {
  registry: string;
  repository: string;
  /** http:// instead of https:// (a registry on a trusted network or loopback). */
  plainHttp: boolean;
  /** A PEM file of extra CAs to trust (EDGEBUILD_REGISTRY_CA). */
  caFile?: string;
  /** Looked up only when the registry asks for credentials. */
  credential: () => Promise<RegistryCredential | undefined>;
  /** `pull` or `pull,push`: the scope asked of a token server. */
  actions: string;
  signal?: AbortSignal;
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: http.IncomingMessage;
}

interface SendOptions {
  headers?: Record<string, string>;
  body?: Buffer;
  /** Statuses that are answers, not errors. */
  ok: readonly number[];
  /** Keep the body as a stream (blob GET); others are read and dropped. */
  stream?: boolean;
}

async function readBody(body: http.IncomingMessage, limit = 4 * 1024 * 1024): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of body as AsyncIterable<Buffer>) {
    size += part.length;
    if (size > limit) throw new RuntimeError(`the registry sent more than ${limit} bytes where a small document was expected`, { code: 'registry-protocol', fix: 'check that the reference names an OCI registry' });
    parts.push(part);
  }
  return Buffer.concat(parts).toString('utf8');
}

/** The registry's own error words (`{"errors":[{"code","message"}]}`), for the message. */
function registryWords(text: string): string {
  try {
    const parsed = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    const first = parsed.errors?.[0];
    if (first) return `: ${first.code ?? ''}${first.message ? ` (${first.message})` : ''}`;
  } catch {
    // not JSON: the status says enough
  }
  return '';
}

/**
 * Hashes a chunk 1 MiB at a time, letting the event loop run in between, so
 * the socket keeps sending the same chunk while it is hashed: the hash and
 * the upload overlap instead of taking turns.
 */
async function hashInSlices(hash: Hash, chunk: Buffer): Promise<void> {
  for (let at = 0; at < chunk.length; at += HASH_SLICE) {
    hash.update(chunk.subarray(at, at + HASH_SLICE));
    await new Promise((resolve) => setImmediate(resolve));
  }
}

export class OciRegistry {
  private authorization: string | undefined;
  private credentialLookup: Promise<RegistryCredential | undefined> | undefined;
  private agents: { agent: http.Agent; other: https.Agent } | undefined;

  constructor(private readonly options: RegistryOptions) {}

  private base(): string {
    return `${this.options.plainHttp ? 'http' : 'https'}://${this.options.registry}`;
  }

  /** The registry's keep-alive agent and one for other hosts (token server, blob store): both trust the extra CA. */
  private async transport(): Promise<{ module: typeof http | typeof https; agent: http.Agent; other: https.Agent }> {
    if (!this.agents) {
      let ca: string[] | undefined;
      if (this.options.caFile && !this.options.plainHttp) {
        try {
          ca = [...rootCertificates, await readFile(this.options.caFile, 'utf8')];
        } catch {
          throw new InputError(`${this.options.caFile} (EDGEBUILD_REGISTRY_CA) cannot be read`, { code: 'registry-ca', fix: 'point EDGEBUILD_REGISTRY_CA at a PEM file of the CA that signed the registry certificate' });
        }
      }
      const tls = ca ? { ca } : {};
      this.agents = { agent: this.options.plainHttp ? new http.Agent({ keepAlive: true }) : new https.Agent({ keepAlive: true, ...tls }), other: new https.Agent(tls) };
    }
    return { module: this.options.plainHttp ? http : https, ...this.agents };
  }

  close(): void {
    this.agents?.agent.destroy();
    this.agents?.other.destroy();
  }

  private async raw(method: string, url: string, headers: Record<string, string>, body?: Buffer): Promise<Reply> {
    const { module, agent, other } = await this.transport();
    const target = new URL(url);
    const sameHost = target.host === this.options.registry;
    if (!sameHost && target.protocol === 'http:' && !this.options.plainHttp) {
      throw new RuntimeError(`the registry redirected to plain http (${target.host})`, { code: 'registry-protocol', fix: 'use a registry that serves its blobs over https' });
    }
    // Another host (a blob store the registry redirects to) gets its own agent and never our Authorization.
    const hostAgent = sameHost ? agent : target.protocol === 'http:' ? http.globalAgent : other;
    const hostModule = target.protocol === 'http:' ? http : https;
    return new Promise<Reply>((resolve, reject) => {
      const request = (sameHost ? module : hostModule).request(
        target,
        { method, agent: hostAgent, headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) }, signal: this.options.signal },
        (res) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res }),
      );
      request.setTimeout(IDLE_TIMEOUT_MS, () => request.destroy(new Error(`no answer for ${IDLE_TIMEOUT_MS / 1000}s`)));
      request.on('error', (error) => reject(this.networkError(error, method, target)));
      request.end(body);
    });
  }

  private networkError(error: Error, method: string, target: URL): Error {
    if (this.options.signal?.aborted) return new InterruptedError();
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const tls = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO/.test(code) || /certificate|wrong version number/i.test(error.message);
    return new RuntimeError(`${method} ${target.origin}${target.pathname}: ${code || error.message}`, {
      code: tls ? 'registry-tls' : 'registry-unreachable',
      fix: tls
        ? 'trust the registry CA with EDGEBUILD_REGISTRY_CA=<pem file>, or pass --plain-http for a registry that speaks plain http'
        : `check that ${this.options.registry} is reachable (and whether it speaks https or --plain-http)`,
    });
  }

  private async credential(): Promise<RegistryCredential | undefined> {
    this.credentialLookup ??= this.options.credential();
    return this.credentialLookup;
  }

  /** Answers a 401's challenge; false when there is nothing more to try. */
  private async authenticate(header: string | undefined): Promise<boolean> {
    const challenge = header ? parseChallenge(header) : undefined;
    const credential = await this.credential();
    if (challenge?.scheme === 'basic') {
      if (!credential?.username && !credential?.password) return false;
      const next = `Basic ${Buffer.from(`${credential.username ?? ''}:${credential.password ?? ''}`).toString('base64')}`;
      if (next === this.authorization) return false;
      this.authorization = next;
      return true;
    }
    if (challenge?.scheme !== 'bearer' || !challenge.params.realm) return false;
    const token = await this.token(challenge.params, credential);
    const next = `Bearer ${token}`;
    if (next === this.authorization) return false;
    this.authorization = next;
    return true;
  }

  private async token(params: Record<string, string>, credential: RegistryCredential | undefined): Promise<string> {
    const realm = new URL(params.realm ?? '');
    const scope = params.scope ?? `repository:${this.options.repository}:${this.options.actions}`;
    let reply: Reply;
    if (credential?.identityToken) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: credential.identityToken, service: params.service ?? '', scope, client_id: 'edgebuild' });
      reply = await this.raw('POST', realm.href, { 'content-type': 'application/x-www-form-urlencoded' }, Buffer.from(form.toString()));
    } else {
      if (params.service) realm.searchParams.set('service', params.service);
      realm.searchParams.set('scope', scope);
      const basic: Record<string, string> = credential?.username || credential?.password ? { authorization: `Basic ${Buffer.from(`${credential.username ?? ''}:${credential.password ?? ''}`).toString('base64')}` } : {};
      reply = await this.raw('GET', realm.href, basic);
    }
    const text = await readBody(reply.body);
    if (reply.status === 401 || reply.status === 403) throw this.authError(credential);
    if (reply.status !== 200) throw new RuntimeError(`the token server ${realm.origin}${realm.pathname} answered ${reply.status}`, { code: 'registry-auth', fix: 'check the registry credentials and the token server' });
    let parsed: { token?: string; access_token?: string };
    try {
      parsed = JSON.parse(text) as { token?: string; access_token?: string };
    } catch {
      parsed = {};
    }
    const token = parsed.token ?? parsed.access_token;
    if (!token) throw new RuntimeError(`the token server ${realm.origin}${realm.pathname} sent no token`, { code: 'registry-auth', fix: 'check the token server' });
    return token;
  }

  private authError(credential: RegistryCredential | undefined): RuntimeError {
    const what = this.options.actions.includes('push') ? 'push to' : 'pull from';
    return new RuntimeError(`${this.options.registry} refused the credentials ${credential ? `from ${credential.source}` : '(none found)'} to ${what} ${this.options.repository}`, {
      code: 'registry-auth',
      fix: `run docker login ${this.options.registry}, or set EDGEBUILD_REGISTRY_USERNAME and EDGEBUILD_REGISTRY_PASSWORD`,
    });
  }

  /** One request with auth: a 401 is answered once per new credential, then the request is repeated. */
  private async send(method: string, pathOrUrl: string, options: SendOptions): Promise<Reply> {
    const url = pathOrUrl.startsWith('/') ? `${this.base()}${pathOrUrl}` : pathOrUrl;
    for (let attempt = 0; ; attempt++) {
      const headers = { ...options.headers, ...(this.authorization ? { authorization: this.authorization } : {}) };
      let reply = await this.raw(method, url, headers, options.body);
      for (let hop = 0; options.stream && [301, 302, 303, 307, 308].includes(reply.status) && hop < 5; hop++) {
        reply.body.resume();
        const next = new URL(reply.headers.location ?? '', url).href;
        reply = await this.raw(method, next, new URL(next).host === this.options.registry ? headers : {});
      }
      if (reply.status === 401 && attempt < 2) {
        reply.body.resume();
        if (await this.authenticate(reply.headers['www-authenticate'])) continue;
        throw this.authError(await this.credential());
      }
      if (reply.status === 401 || reply.status === 403) {
        reply.body.resume();
        throw this.authError(await this.credential());
      }
      if (!options.ok.includes(reply.status)) {
        const text = await readBody(reply.body).catch(() => '');
        const where = new URL(url).pathname.replace(/\?.*$/, '');
        throw new RuntimeError(`${method} ${this.options.registry}${where}: HTTP ${reply.status}${registryWords(text)}`, {
          code: reply.status === 404 ? 'registry-not-found' : 'registry-http',
          fix: reply.status === 404 ? 'check the reference (registry, repository, tag or digest)' : 'see the registry error; retry, or check the registry logs',
        });
      }
      if (!options.stream) await readBody(reply.body);
      return reply;
    }
  }

  private repoPath(rest: string): string {
    return `/v2/${this.options.repository}/${rest}`;
  }

  async blobExists(digest: string): Promise<boolean> {
    const reply = await this.send('HEAD', this.repoPath(`blobs/${digest}`), { ok: [200, 404] });
    return reply.status === 200;
  }

  /**
   * Uploads a file in CHUNK_BYTES PATCHes, hashing each chunk as it is read
   * (the file is read once); the next chunk is read while this one is sent.
   * The registry checks the digest at the final PUT; so do we, first.
   */
  async pushFile(path: string, expected: { digest: string; size: number }, onBytes?: (sent: number) => void): Promise<void> {
    const started = await this.send('POST', this.repoPath('blobs/uploads/'), { ok: [202] });
    let location = this.uploadLocation(started);
    const hash = sha256Hasher();
    const handle = await open(path, 'r');
    let current = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, Math.max(expected.size, 1)));
    let next = Buffer.allocUnsafe(current.length);
    let offset = 0;
    let pending: Promise<{ bytesRead: number }> | undefined;
    try {
      let { bytesRead } = await handle.read(current, 0, current.length, 0);
      while (bytesRead > 0) {
        const chunk = current.subarray(0, bytesRead);
        pending = handle.read(next, 0, next.length, offset + bytesRead);
        const sent = this.send('PATCH', location, {
          headers: { 'content-type': 'application/octet-stream', 'content-range': `${offset}-${offset + bytesRead - 1}` },
          body: chunk,
          ok: [202],
        });
        sent.catch(() => undefined); // awaited below; not unhandled while the chunk is hashed
        await hashInSlices(hash, chunk);
        const reply = await sent;
        location = this.uploadLocation(reply, location);
        offset += bytesRead;
        onBytes?.(offset);
        ({ bytesRead } = await pending);
        pending = undefined;
        [current, next] = [next, current];
      }
    } catch (error) {
      await this.cancelUpload(location);
      throw error;
    } finally {
      await pending?.catch(() => undefined);
      await handle.close();
    }
    const digest = `sha256:${hash.digest('hex')}`;
    if (digest !== expected.digest || offset !== expected.size) {
      await this.cancelUpload(location);
      throw new RuntimeError(`${path} is ${offset} bytes with ${digest}; manifest.json records ${expected.size} bytes, ${expected.digest}`, {
        code: 'push-changed',
        fix: 'the file changed after it was published: run edgebuild verify on it, then publish it again',
      });
    }
    await this.finishUpload(location, digest);
  }

  /** A small blob (the empty config) in one PUT. */
  async pushBytes(bytes: Buffer, digest: string): Promise<void> {
    const started = await this.send('POST', this.repoPath('blobs/uploads/'), { ok: [202] });
    await this.finishUpload(this.uploadLocation(started), digest, bytes);
  }

  private async finishUpload(location: string, digest: string, body: Buffer = Buffer.alloc(0)): Promise<void> {
    const url = new URL(location);
    url.searchParams.set('digest', digest);
    await this.send('PUT', url.href, { headers: { 'content-type': 'application/octet-stream' }, body, ok: [201] });
  }

  private async cancelUpload(location: string): Promise<void> {
    // Best effort: the registry purges abandoned uploads itself.
    if (this.options.signal?.aborted) return;
    await this.send('DELETE', location, { ok: [204, 404] }).catch(() => undefined);
  }

  private uploadLocation(reply: Reply, previous?: string): string {
    const location = reply.headers.location;
    if (!location) {
      if (previous) return previous;
      throw new RuntimeError(`${this.options.registry} started an upload without a Location`, { code: 'registry-protocol', fix: 'check that the registry implements the OCI distribution API' });
    }
    return new URL(location, previous ?? this.base()).href;
  }

  /** PUTs a manifest; returns the digest the registry names it by. */
  async putManifest(reference: string, bytes: Buffer, mediaType: string): Promise<string | undefined> {
    const reply = await this.send('PUT', this.repoPath(`manifests/${reference}`), { headers: { 'content-type': mediaType }, body: bytes, ok: [201] });
    const digest = reply.headers['docker-content-digest'];
    return typeof digest === 'string' ? digest : undefined;
  }

  /** A manifest's bytes; the caller checks them against a digest reference. */
  async getManifest(reference: string, accept: readonly string[]): Promise<Buffer> {
    const reply = await this.send('GET', this.repoPath(`manifests/${reference}`), { headers: { accept: accept.join(', ') }, ok: [200], stream: true });
    return Buffer.from(await readBody(reply.body), 'utf8');
  }

  /**
   * Streams a blob into `dest` (created 0600, never over an existing file),
   * hashing it on the way; the bytes are checked against `digest` and `size`
   * before this returns, so the file holds exactly the blob the digest names.
   */
  async pullBlob(digest: string, size: number, dest: string, onBytes?: (received: number) => void): Promise<void> {
    const reply = await this.send('GET', this.repoPath(`blobs/${digest}`), { ok: [200], stream: true });
    const hash = sha256Hasher();
    let received = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        received += chunk.length;
        // More than the manifest says is a wrong blob: stop before it fills the disk.
        if (received > size) return done(new RuntimeError(`blob ${digest} is longer than the ${size} bytes its manifest records`, { code: 'pull-digest', fix: 'the registry holds a damaged blob: push the artifact again' }));
        hash.update(chunk);
        onBytes?.(received);
        done(null, chunk);
      },
    });
    await pipeline(reply.body, counter, createWriteStream(dest, { flags: 'wx', mode: 0o600 }), { signal: this.options.signal }).catch((error: unknown) => {
      if (this.options.signal?.aborted) throw new InterruptedError();
      throw error;
    });
    const got = `sha256:${hash.digest('hex')}`;
    if (got !== digest || received !== size) {
      throw new RuntimeError(`blob ${digest} arrived as ${received} bytes with ${got}`, { code: 'pull-digest', fix: 'the registry holds a damaged blob: push the artifact again' });
    }
  }
}
