/**
 * Registry credentials chosen as the docker CLI chooses them from
 * `config.json`: `credHelpers[<registry>]`, else `credsStore`, else
 * `auths[<registry>].auth` (base64 user:password). Pure: the file's text in,
 * the decision out; running a helper is the adapter's job.
 */

export type AuthSource =
  | { kind: 'none' }
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'token'; identityToken: string; username: string }
  | { kind: 'helper'; helper: string };

/** The key Docker Hub credentials are stored under. */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';

/** `https://host/v1/` and `host` name the same registry, as the docker CLI reads auths keys. */
function hostOf(key: string): string {
  return key.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
}

interface ConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** `registry` as parsed from a reference (`docker.io` for Docker Hub); `text` the config.json, or undefined when absent. */
export function chooseAuth(text: string | undefined, registry: string): AuthSource | { error: string } {
  if (text === undefined || text.trim() === '') return { kind: 'none' };
  let config: ConfigFile;
  try {
    config = JSON.parse(text) as ConfigFile;
  } catch (error) {
    return { error: `it is not JSON (${error instanceof Error ? error.message : String(error)})` };
  }
  if (typeof config !== 'object' || config === null) return { error: 'it is not a JSON object' };
  const host = registry === 'docker.io' ? hostOf(DOCKER_HUB_AUTH_KEY) : registry;
  const helper = Object.entries(config.credHelpers ?? {}).find(([key]) => hostOf(key) === host)?.[1];
  if (helper) return { kind: 'helper', helper };
  if (config.credsStore) return { kind: 'helper', helper: config.credsStore };
  const entry = Object.entries(config.auths ?? {}).find(([key]) => hostOf(key) === host)?.[1];
  if (!entry) return { kind: 'none' };
  if (entry.identitytoken) return { kind: 'token', identityToken: entry.identitytoken, username: entry.username ?? '' };
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return { error: `auths["${registry}"].auth is not base64 of user:password` };
    return { kind: 'basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (entry.username && entry.password) return { kind: 'basic', username: entry.username, password: entry.password };
  return { kind: 'none' };
}

/** What `docker-credential-<helper> get` prints: {"ServerURL","Username","Secret"}; `<token>` as Username means an identity token. */
export function parseHelperOutput(text: string): { username: string; secret: string } | undefined {
  try {
    const data = JSON.parse(text) as { Username?: unknown; Secret?: unknown };
    if (typeof data.Username === 'string' && typeof data.Secret === 'string') return { username: data.Username, secret: data.Secret };
  } catch {
    return undefined;
  }
  return undefined;
}

/** The server address a helper is asked for: Docker Hub's legacy key, else the host. */
export function helperServer(registry: string): string {
  return registry === 'docker.io' ? DOCKER_HUB_AUTH_KEY : registry;
}
