/**
 * Which engine the `docker` CLI talks to — the one earthly.sh's docker calls
 * reach — decided as the CLI decides it: DOCKER_HOST, else the context named
 * by DOCKER_CONTEXT, else `currentContext` in $DOCKER_CONFIG/config.json
 * (~/.docker by default); a context other than "default" is read from
 * contexts/meta/<sha256 of its name>/meta.json, `Endpoints.docker.Host`,
 * with the TLS material `docker context create --docker ca=…,cert=…,key=…`
 * stores under contexts/tls/<sha256 of its name>/docker/ and the endpoint's
 * `SkipTLSVerify`. Pure: the docker adapter reads the files.
 */
import { createHash } from 'node:crypto';

export type EngineChoice =
  /** DOCKER_HOST, or the default socket (undefined host). */
  | { host: string | undefined; context?: undefined }
  /** A docker context chose the host; `tls` when the context stores TLS material. */
  | { host: string; context: string; via: 'DOCKER_CONTEXT' | 'config.json'; tls?: ContextTls }
  /** The context named cannot be used; `detail` says why. */
  | { error: string; context: string };

/** PEM texts of a context's TLS files (each optional, as for the docker CLI) and whether to skip server verification. */
export interface ContextTls {
  ca?: string;
  cert?: string;
  key?: string;
  skipVerify: boolean;
}

export interface ContextFiles {
  /** $DOCKER_CONFIG, else ~/.docker. */
  configDir: string;
  /** Text of a file under configDir (path relative to it), undefined when absent. */
  read: (relativePath: string) => string | undefined;
}

const contextId = (name: string): string => createHash('sha256').update(name).digest('hex');
export const contextMetaPath = (name: string): string => `contexts/meta/${contextId(name)}/meta.json`;
/** Where the docker CLI keeps a context's TLS files for its docker endpoint. */
export const contextTlsDir = (name: string): string => `contexts/tls/${contextId(name)}/docker`;

function contextTls(name: string, skipVerify: boolean, files: ContextFiles): ContextTls | undefined {
  const dir = contextTlsDir(name);
  const [ca, cert, key] = (['ca.pem', 'cert.pem', 'key.pem'] as const).map((f) => files.read(`${dir}/${f}`));
  if (ca === undefined && cert === undefined && key === undefined) return skipVerify ? { skipVerify } : undefined;
  return { ...(ca !== undefined ? { ca } : {}), ...(cert !== undefined ? { cert } : {}), ...(key !== undefined ? { key } : {}), skipVerify };
}

function currentContext(configJson: string | undefined): string | undefined {
  if (configJson === undefined) return undefined;
  try {
    const value = (JSON.parse(configJson) as { currentContext?: unknown }).currentContext;
    return typeof value === 'string' && value !== '' ? value : undefined;
  } catch {
    return undefined; // the docker CLI then also falls back to the default
  }
}

export function chooseEngine(env: Record<string, string | undefined>, files: ContextFiles): EngineChoice {
  if (env.DOCKER_HOST?.trim()) return { host: env.DOCKER_HOST };
  const fromEnv = env.DOCKER_CONTEXT?.trim();
  const name = fromEnv || currentContext(files.read('config.json'));
  if (!name || name === 'default') return { host: undefined };
  const via = fromEnv ? 'DOCKER_CONTEXT' : 'config.json';
  const path = contextMetaPath(name);
  const meta = files.read(path);
  if (meta === undefined) return { error: `docker context "${name}" (from ${via === 'DOCKER_CONTEXT' ? 'DOCKER_CONTEXT' : `${files.configDir}/config.json`}) does not exist: no ${files.configDir}/${path}`, context: name };
  let host: unknown;
  let skipVerify = false;
  try {
    const endpoint = (JSON.parse(meta) as { Endpoints?: { docker?: { Host?: unknown; SkipTLSVerify?: unknown } } }).Endpoints?.docker;
    host = endpoint?.Host;
    skipVerify = endpoint?.SkipTLSVerify === true;
  } catch (error) {
    return { error: `docker context "${name}": ${files.configDir}/${path} is not JSON (${error instanceof Error ? error.message : String(error)})`, context: name };
  }
  if (typeof host !== 'string' || host === '') return { error: `docker context "${name}" has no Docker endpoint (Endpoints.docker.Host in ${files.configDir}/${path})`, context: name };
  const tls = contextTls(name, skipVerify, files);
  return { host, context: name, via, ...(tls ? { tls } : {}) };
}
