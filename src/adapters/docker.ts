/**
 * The Docker engine through dockerode — the only module that imports it.
 * Other modules get a client from `connectDocker(env)` and make every call
 * through `dockerCall()`, which puts a deadline on it: a hung daemon must not
 * hang edgebuild. Build-container helpers belong in their own module on top
 * of this one.
 */
import { readFileSync } from 'node:fs';
import { Agent as HttpsAgent } from 'node:https';
import { homedir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { RuntimeError } from '../errors.js';
import { engineFailureText } from '../core/build/engineFailure.js';
import { chooseEngine, type ContextTls } from '../core/dockerContext.js';
import type { DockerEndpoint, EngineFacts, EngineFailure } from '../core/preflight/facts.js';

export type { Dockerode };
export type DockerContainer = Dockerode.Container;

/** Default deadline of one API call; EDGEBUILD_DOCKER_TIMEOUT (seconds) changes it. */
export const DEFAULT_TIMEOUT_MS = 15_000;

export interface DockerClient {
  docker: Dockerode;
  endpoint: DockerEndpoint;
  /** Deadline of one API call unless the call says otherwise. */
  timeoutMs: number;
}

/** The engine could not be reached; carries what the preflight needs to explain it. */
export class DockerUnavailable extends RuntimeError {
  constructor(
    readonly endpoint: DockerEndpoint,
    readonly failure: EngineFailure,
    readonly detail: string,
  ) {
    const { message, fix } = engineFailureText({ endpoint, failure, detail });
    super(message, { code: 'docker-unavailable', fix, details: { dockerHost: endpoint.url, failure } });
  }
}

/** An error the engine itself answered with (HTTP 4xx/5xx): `message` is the engine's own text. */
export class DockerApiError extends RuntimeError {
  constructor(
    message: string,
    readonly statusCode: number,
  ) {
    super(message, { code: 'docker-api', details: { statusCode } });
  }
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[?::1\]?)$/i;
const DEFAULT_SOCKET = process.platform === 'win32' ? '//./pipe/docker_engine' : '/var/run/docker.sock';

interface Parsed {
  endpoint: DockerEndpoint;
  options: Dockerode.DockerOptions;
}

/**
 * DOCKER_HOST → where to connect, as the docker CLI reads it; `contextTls`
 * (the TLS files of a docker context) stands in for DOCKER_CERT_PATH and
 * turns TLS on, as the CLI does for a context created with them.
 */
export function parseDockerHost(env: Record<string, string | undefined>, contextTls?: ContextTls): Parsed {
  const raw = env.DOCKER_HOST?.trim();
  // Every connection field is set explicitly: docker-modem fills unset ones from process.env.
  const none = { socketPath: undefined, host: undefined, port: undefined, protocol: undefined, ca: undefined, cert: undefined, key: undefined };
  const fromEnv = Boolean(raw);
  if (!raw || raw.startsWith('unix://')) {
    const path = raw?.slice('unix://'.length) || DEFAULT_SOCKET;
    const kind = path.startsWith('//./pipe/') ? 'npipe' : 'unix';
    return { endpoint: { url: `${kind}://${path}`, kind, address: path, fromEnv, local: true }, options: { ...none, socketPath: path } };
  }
  if (raw.startsWith('npipe://')) {
    const path = raw.slice('npipe://'.length) || '//./pipe/docker_engine';
    return { endpoint: { url: `npipe://${path}`, kind: 'npipe', address: path, fromEnv, local: true }, options: { ...none, socketPath: path } };
  }
  let url: URL;
  try {
    url = new URL(raw.includes('://') ? raw : `tcp://${raw}`);
  } catch {
    throw new DockerUnavailable(badEndpoint(raw), 'bad-host', `DOCKER_HOST=${raw}`);
  }
  if (!url.hostname || !['tcp:', 'http:', 'https:', 'ssh:'].includes(url.protocol)) {
    throw new DockerUnavailable(badEndpoint(raw), 'bad-host', `DOCKER_HOST=${raw}`);
  }
  if (url.protocol === 'ssh:') {
    const port = url.port || '22';
    const endpoint: DockerEndpoint = { url: `ssh://${url.hostname}:${port}`, kind: 'ssh', address: `${url.hostname}:${port}`, fromEnv, local: false };
    return { endpoint, options: { ...none, protocol: 'ssh', host: url.hostname, port, username: url.username || undefined, sshOptions: { agent: env.SSH_AUTH_SOCK } } };
  }
  const tls = Boolean(contextTls) || env.DOCKER_TLS_VERIFY === '1' || url.port === '2376' || url.protocol === 'https:';
  const port = url.port || (tls ? '2376' : '2375');
  const endpoint: DockerEndpoint = { url: `tcp://${url.hostname}:${port}`, kind: 'tcp', address: `${url.hostname}:${port}`, fromEnv, local: LOOPBACK.test(url.hostname) };
  const options: Dockerode.DockerOptions = { ...none, protocol: tls ? 'https' : 'http', host: url.hostname, port };
  if (contextTls) {
    const { ca, cert, key, skipVerify } = contextTls;
    Object.assign(options, { ca, cert, key });
    // SkipTLSVerify: the CLI's InsecureSkipVerify. docker-modem hands `agent` to https.request (its types omit it);
    // an agent's options win over the request's, which still carry the client certificate.
    if (skipVerify) (options as Dockerode.DockerOptions & { agent?: HttpsAgent }).agent = new HttpsAgent({ rejectUnauthorized: false });
  } else if (env.DOCKER_CERT_PATH) {
    try {
      options.ca = readFileSync(join(env.DOCKER_CERT_PATH, 'ca.pem'));
      options.cert = readFileSync(join(env.DOCKER_CERT_PATH, 'cert.pem'));
      options.key = readFileSync(join(env.DOCKER_CERT_PATH, 'key.pem'));
    } catch (error) {
      throw new DockerUnavailable(endpoint, 'tls', `cannot read the certificates in DOCKER_CERT_PATH=${env.DOCKER_CERT_PATH}: ${(error as Error).message}`);
    }
  }
  return { endpoint, options };
}

function badEndpoint(raw: string): DockerEndpoint {
  return { url: raw, kind: 'tcp', address: raw, fromEnv: true, local: false };
}

/** The file a docker context is read from, or undefined when it cannot be read. */
function readContextFile(dir: string, path: string): string | undefined {
  try {
    return readFileSync(join(dir, path), 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The engine the docker CLI — and so earthly.sh — would use: DOCKER_HOST,
 * else DOCKER_CONTEXT, else `docker context use` (core/dockerContext.ts).
 */
export function resolveEngine(env: Record<string, string | undefined>): Parsed {
  const configDir = env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker');
  const choice = chooseEngine(env, { configDir, read: (path) => readContextFile(configDir, path) });
  if ('error' in choice) {
    throw new DockerUnavailable({ url: `docker context ${choice.context}`, kind: 'unix', address: choice.context, fromEnv: false, local: false, context: choice.context }, 'context', choice.error);
  }
  const parsed = parseDockerHost({ ...env, DOCKER_HOST: choice.host }, choice.context === undefined ? undefined : choice.tls);
  return choice.context === undefined ? parsed : { ...parsed, endpoint: { ...parsed.endpoint, fromEnv: false, context: choice.context } };
}

/** A client for the engine the docker CLI would use (see resolveEngine). Connects lazily. */
export function connectDocker(env: Record<string, string | undefined>, options: { timeoutMs?: number } = {}): DockerClient {
  const { endpoint, options: dockerOptions } = resolveEngine(env);
  const fromEnv = Number(env.EDGEBUILD_DOCKER_TIMEOUT) * 1000;
  const timeoutMs = options.timeoutMs ?? (fromEnv > 0 ? fromEnv : DEFAULT_TIMEOUT_MS);
  return { docker: new (loadDockerode())(dockerOptions), endpoint, timeoutMs };
}

/**
 * dockerode (with grpc-js, protobufjs, ssh2...) is required on first connect,
 * not imported: an up-to-date rerun never talks to Docker and must not pay for
 * loading it. It is CommonJS, so require() keeps connectDocker synchronous.
 */
function loadDockerode(): typeof Dockerode {
  return createRequire(import.meta.url)('dockerode') as typeof Dockerode;
}

/** Node's socket errors → why the engine is unreachable; undefined when the engine did answer. */
export function classifyDockerError(error: unknown): EngineFailure | undefined {
  const e = error as { code?: string; statusCode?: number };
  if (typeof e.statusCode === 'number') return undefined;
  switch (e.code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return 'no-socket';
    case 'EACCES':
    case 'EPERM':
      return 'permission';
    case 'ECONNREFUSED':
      return 'refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'unresolved';
    default:
      return e.code && /^(ERR_TLS|ERR_SSL|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_)/.test(e.code) ? 'tls' : 'other';
  }
}

function engineMessage(error: { message?: string; json?: unknown }): string {
  const json = error.json as { message?: unknown } | undefined;
  if (json && typeof json.message === 'string') return json.message;
  if (Buffer.isBuffer(error.json)) return error.json.toString().trim() || String(error.message);
  return String(error.message).replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
}

export interface CallOptions {
  /** Deadline of this call (default: the client's). */
  timeoutMs?: number;
  /** Aborts the call (SIGINT). */
  signal?: AbortSignal | undefined;
}

/**
 * Runs one engine call with a deadline. The call gets an AbortSignal to hand
 * to dockerode (`abortSignal`); the deadline holds even if it does not listen.
 * Throws DockerUnavailable (no answer), DockerApiError (the engine's own
 * error) or the abort reason.
 */
export async function dockerCall<T>(client: DockerClient, what: string, call: (signal: AbortSignal) => Promise<T>, options: CallOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? client.timeoutMs;
  const controller = new AbortController();
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
      reject(new DockerUnavailable(client.endpoint, 'timeout', `${seconds(timeoutMs)} (${what})`));
    }, timeoutMs);
  });
  let onAbort: (() => void) | undefined;
  const interrupted = new Promise<never>((_, reject) => {
    onAbort = (): void => {
      controller.abort();
      reject(options.signal!.reason ?? new Error('aborted'));
    };
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([call(controller.signal), deadline, interrupted]);
  } catch (error) {
    if (timedOut) throw new DockerUnavailable(client.endpoint, 'timeout', `${seconds(timeoutMs)} (${what})`);
    if (error instanceof RuntimeError || options.signal?.aborted) throw error;
    const failure = classifyDockerError(error);
    if (failure) throw new DockerUnavailable(client.endpoint, failure, `${what}: ${(error as Error).message}`);
    const e = error as { statusCode?: number; message?: string; json?: unknown };
    if (typeof e.statusCode === 'number') throw new DockerApiError(engineMessage(e), e.statusCode);
    throw error;
  } finally {
    clearTimeout(timer);
    if (onAbort) options.signal?.removeEventListener('abort', onAbort);
    deadline.catch(() => undefined);
    interrupted.catch(() => undefined);
  }
}

export function seconds(ms: number): string {
  return ms >= 1000 ? `${Number((ms / 1000).toFixed(1))} s` : `${ms} ms`;
}

interface VersionBody {
  Version?: string;
  ApiVersion?: string;
  Platform?: { Name?: string };
  Components?: { Name?: string }[];
}

interface InfoBody {
  ServerVersion?: string;
  DockerRootDir?: string;
  OperatingSystem?: string;
  Architecture?: string;
  SecurityOptions?: string[];
}

/** dockerode takes `abortSignal` on these calls; @types/dockerode does not say so. */
interface Abortable {
  abortSignal: AbortSignal;
}
interface SystemApi {
  ping(options: Abortable): Promise<unknown>;
  version(options: Abortable): Promise<VersionBody>;
  info(options: Abortable): Promise<InfoBody>;
}

/** Ping, then /version and /info together. Never throws for an unreachable engine: that is a fact too. */
export async function engineFacts(client: DockerClient, options: CallOptions = {}): Promise<EngineFacts> {
  const api = client.docker as unknown as SystemApi;
  try {
    await dockerCall(client, 'GET /_ping', (abortSignal) => api.ping({ abortSignal }), options);
    const [version, info] = await Promise.all([
      dockerCall(client, 'GET /version', (abortSignal) => api.version({ abortSignal }), options),
      dockerCall(client, 'GET /info', (abortSignal) => api.info({ abortSignal }), options),
    ]);
    return {
      ok: true,
      endpoint: client.endpoint,
      version: version.Version ?? info.ServerVersion ?? 'unknown',
      apiVersion: version.ApiVersion,
      platformName: version.Platform?.Name || undefined,
      components: version.Components?.map((c) => c.Name ?? '').filter(Boolean),
      operatingSystem: info.OperatingSystem,
      architecture: info.Architecture,
      rootDir: info.DockerRootDir,
      rootless: (info.SecurityOptions ?? []).some((o) => /(^|,)name=rootless(,|$)/.test(o)),
    };
  } catch (error) {
    if (error instanceof DockerUnavailable) return { ok: false, endpoint: error.endpoint, failure: error.failure, detail: error.detail };
    if (error instanceof DockerApiError) return { ok: false, endpoint: client.endpoint, failure: 'other', detail: `HTTP ${error.statusCode}: ${error.message}` };
    throw error;
  }
}
