/**
 * The registry's own answer about an image: the digest of the manifest it
 * serves for `repository:reference` (Distribution API, `HEAD /v2/…/manifests/…`),
 * with the token flow registries use (a 401 naming a Bearer realm, or Basic).
 * Loopback registries are spoken to over plain HTTP, as the Docker engine
 * treats 127.0.0.0/8 as insecure; every other registry over HTTPS.
 */
import { RuntimeError } from '../errors.js';
import type { Credentials } from './registryCredentials.js';

const ACCEPT = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/i;

export function registryBase(registry: string): string {
  if (registry === 'docker.io') return 'https://registry-1.docker.io';
  return `${LOOPBACK.test(registry) ? 'http' : 'https'}://${registry}`;
}

function basic(credentials: Credentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.secret}`).toString('base64')}`;
}

/** `Bearer realm="…",service="…",scope="…"` → its parameters. */
function challenge(header: string): { scheme: string; params: Record<string, string> } {
  const scheme = header.split(/\s+/)[0]?.toLowerCase() ?? '';
  const params: Record<string, string> = {};
  for (const m of header.matchAll(/(\w+)="([^"]*)"/g)) params[m[1] ?? ''] = m[2] ?? '';
  return { scheme, params };
}

async function bearerToken(params: Record<string, string>, repository: string, credentials: Credentials | undefined, signal: AbortSignal): Promise<string> {
  const url = new URL(params.realm ?? '');
  if (params.service) url.searchParams.set('service', params.service);
  url.searchParams.set('scope', params.scope ?? `repository:${repository}:pull`);
  const response = await fetch(url, { signal, headers: credentials && !credentials.identityToken ? { authorization: basic(credentials) } : {} });
  if (!response.ok) throw new RuntimeError(`the registry's token service (${url.origin}) refused: HTTP ${response.status}`, { code: 'registry-auth', fix: 'check the registry credentials (docker login)' });
  const body = (await response.json()) as { token?: string; access_token?: string };
  const token = body.token ?? body.access_token;
  if (!token) throw new RuntimeError(`the registry's token service (${url.origin}) sent no token`, { code: 'registry-auth', fix: 'check the registry credentials (docker login)' });
  return token;
}

/**
 * The digest the registry serves for `repository` at `reference` (a tag or a
 * digest), or undefined when it has no such manifest (404).
 */
export async function manifestDigest(registry: string, repository: string, reference: string, credentials: Credentials | undefined, options: { signal?: AbortSignal | undefined; timeoutMs?: number } = {}): Promise<string | undefined> {
  const url = `${registryBase(registry)}/v2/${repository}/manifests/${reference}`;
  const signal = AbortSignal.any([AbortSignal.timeout(options.timeoutMs ?? 30_000), ...(options.signal ? [options.signal] : [])]);
  const ask = (authorization?: string): Promise<Response> => fetch(url, { method: 'HEAD', signal, headers: { accept: ACCEPT, ...(authorization ? { authorization } : {}) } });
  let response: Response;
  try {
    response = await ask();
    if (response.status === 401) {
      const { scheme, params } = challenge(response.headers.get('www-authenticate') ?? '');
      if (scheme === 'bearer') response = await ask(`Bearer ${await bearerToken(params, repository, credentials, signal)}`);
      else if (scheme === 'basic' && credentials) response = await ask(basic(credentials));
    }
  } catch (error) {
    if (error instanceof RuntimeError || options.signal?.aborted) throw error;
    throw new RuntimeError(`the registry ${registry} did not answer for ${repository}:${reference}: ${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)}`, { code: 'registry-unreachable', fix: `check that ${registryBase(registry)} is reachable from this machine` });
  }
  if (response.status === 404) return undefined;
  if (!response.ok) throw new RuntimeError(`the registry ${registry} answered HTTP ${response.status} for ${repository}:${reference}`, { code: 'registry-manifest', fix: response.status === 401 || response.status === 403 ? `check the credentials for ${registry} (docker login ${registry})` : `check the registry ${registry}` });
  const digest = response.headers.get('docker-content-digest');
  if (!digest) throw new RuntimeError(`the registry ${registry} sent no Docker-Content-Digest for ${repository}:${reference}`, { code: 'registry-manifest', fix: 'use a registry that implements the Distribution API' });
  return digest;
}
