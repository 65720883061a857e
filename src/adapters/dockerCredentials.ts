/**
 * Registry credentials the way the docker CLI finds them: the environment
 * (EDGEBUILD_REGISTRY_USERNAME / _PASSWORD, for CI), else
 * $DOCKER_CONFIG/config.json (default ~/.docker): `credHelpers[host]`, then
 * `auths[host]`, then `credsStore`. A helper is run as
 * `docker-credential-<name> get` with the host on stdin, so no secret is
 * ever in a process's arguments.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { InputError, RuntimeError } from '../errors.js';

export interface RegistryCredential {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (`identitytoken`, or a helper's `<token>` user). */
  identityToken?: string;
  /** Where it came from, for messages: never the secret. */
  source: string;
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** `https://host/v1/`, `host` → `host`: the keys docker login writes. */
function hostOf(key: string): string {
  return key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
}

async function readConfig(path: string): Promise<DockerConfig | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as DockerConfig;
  } catch (error) {
    throw new InputError(`${path}: not JSON (${(error as Error).message})`, { code: 'docker-config', fix: `repair ${path}, or run docker login again` });
  }
}

async function fromHelper(helper: string, registry: string, env: Record<string, string | undefined>, signal?: AbortSignal): Promise<RegistryCredential | undefined> {
  const program = `docker-credential-${helper}`;
  // The helper gets edgebuild's environment (its PATH finds it), as docker's helpers get the CLI's.
  const run = await execa(program, ['get'], { input: registry, env, extendEnv: false, reject: false, timeout: 30_000, cancelSignal: signal, stripFinalNewline: true });
  if (run.failed && /credentials not found/i.test(`${run.stdout}${run.stderr}`)) return undefined;
  if (run.failed) {
    // The helper's own output may echo a secret: name the helper and the exit only.
    const why = 'code' in run && run.code === 'ENOENT' ? 'is not installed' : `failed (exit ${String(run.exitCode)})`;
    throw new RuntimeError(`${program} ${why} for ${registry}`, { code: 'credential-helper', fix: `install ${program} or run docker login ${registry}` });
  }
  let parsed: { Username?: string; Secret?: string };
  try {
    parsed = JSON.parse(run.stdout) as { Username?: string; Secret?: string };
  } catch {
    throw new RuntimeError(`${program} printed no JSON for ${registry}`, { code: 'credential-helper', fix: `run docker login ${registry} again` });
  }
  const source = `${program}`;
  if (parsed.Username === '<token>') return { identityToken: parsed.Secret ?? '', source };
  return { username: parsed.Username ?? '', password: parsed.Secret ?? '', source };
}

export async function registryCredential(registry: string, env: Record<string, string | undefined>, signal?: AbortSignal): Promise<RegistryCredential | undefined> {
  if (env.EDGEBUILD_REGISTRY_USERNAME !== undefined || env.EDGEBUILD_REGISTRY_PASSWORD !== undefined) {
    return { username: env.EDGEBUILD_REGISTRY_USERNAME ?? '', password: env.EDGEBUILD_REGISTRY_PASSWORD ?? '', source: 'EDGEBUILD_REGISTRY_USERNAME/_PASSWORD' };
  }
  const dir = env.DOCKER_CONFIG ?? (env.HOME ? join(env.HOME, '.docker') : undefined);
  if (!dir) return undefined;
  const path = join(dir, 'config.json');
  const config = await readConfig(path);
  if (!config) return undefined;
  const helper = Object.entries(config.credHelpers ?? {}).find(([key]) => hostOf(key) === registry)?.[1];
  if (helper) return fromHelper(helper, registry, env, signal);
  const entry = Object.entries(config.auths ?? {}).find(([key]) => hostOf(key) === registry)?.[1];
  if (entry?.identitytoken) return { identityToken: entry.identitytoken, source: path };
  if (entry?.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new InputError(`${path}: auths["${registry}"].auth is not base64 of user:password`, { code: 'docker-config', fix: `run docker login ${registry} again` });
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), source: path };
  }
  if (entry?.username !== undefined) return { username: entry.username, password: entry.password ?? '', source: path };
  if (config.credsStore) return fromHelper(config.credsStore, registry, env, signal);
  return undefined;
}
