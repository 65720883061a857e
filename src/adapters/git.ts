/**
 * Git through simple-git: a cached bare mirror of the CanvOS repository, and
 * fresh checkouts of a tag made from it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { simpleGit, type SimpleGit } from 'simple-git';
import { InputError, RuntimeError } from '../errors.js';
import { maskUrlCredentials } from '../core/secrets.js';
import { withLock } from './files.js';

const TIMEOUT_MS = 10 * 60_000; // a git call with no output for this long is hung
const CHECKOUT_MARKER = 'edgebuild-checkout';

export const DEFAULT_REPO = 'https://github.com/spectrocloud/CanvOS.git';

export interface MirrorResult {
  path: string;
  /** The fetch failed and the cached copy is used as it is. */
  offline: boolean;
  warnings: string[];
}

export interface GitOptions {
  signal?: AbortSignal;
  /** Delays between network retries; tests pass short ones. */
  retryDelaysMs?: number[];
  onRetry?: (attempt: number, error: string) => void;
}

/** A URL without its user-info, safe to print. */
export function displayUrl(url: string): string {
  return maskUrlCredentials(url);
}

/** Local paths become absolute file:// URLs; URLs pass through. */
export function normalizeRepo(repo: string, cwd: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(repo) || /^[^/]+@[^/]+:/.test(repo)) return repo;
  return pathToFileURL(isAbsolute(repo) ? repo : resolve(cwd, repo)).href;
}

export function mirrorPath(cacheDir: string, url: string): string {
  const name = (url.split(/[/:]/).filter(Boolean).at(-1) ?? 'repo').replace(/\.git$/, '').replace(/[^A-Za-z0-9._-]/g, '_');
  const key = createHash('sha256').update(url).digest('hex').slice(0, 12);
  return join(cacheDir, 'git', `${name}-${key}.git`);
}

/** What git needs from our environment; simple-git refuses editors, pagers and the like. */
const PASSED_ENV = /^(PATH|HOME|USER|LANG|LC_[A-Z]+|TMPDIR|XDG_CONFIG_HOME|SSH_AUTH_SOCK|(https?|no|all)_proxy|(HTTPS?|NO|ALL)_PROXY|GIT_SSL_CAINFO|SSL_CERT_(FILE|DIR))$/;

function gitEnv(authorization?: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && PASSED_ENV.test(key)) env[key] = value;
  env.GIT_TERMINAL_PROMPT = '0'; // never wait for a password on a terminal
  if (authorization) {
    // Credentials from the URL reach git through its environment: never in argv, never in the mirror's config.
    env.GIT_CONFIG_COUNT = '1';
    env.GIT_CONFIG_KEY_0 = 'http.extraHeader';
    env.GIT_CONFIG_VALUE_0 = `Authorization: ${authorization}`;
  }
  return env;
}

function git(baseDir: string, signal?: AbortSignal, authorization?: string): SimpleGit {
  return simpleGit({
    baseDir,
    timeout: { block: TIMEOUT_MS },
    ...(signal ? { abort: signal } : {}),
    // Our own GIT_CONFIG_* (the one extraHeader above) only; the caller's environment is filtered.
    ...(authorization ? { unsafe: { allowUnsafeConfigEnvCount: true } } : {}),
  }).env(gitEnv(authorization));
}

/** An http(s) URL without its user-info, and that user-info as a Basic authorization value. */
export function splitCredentials(url: string): { url: string; authorization?: string } {
  const m = /^(https?:\/\/)([^@/]*)@(.*)$/i.exec(url);
  if (!m) return { url };
  const [user = '', password = ''] = m[2]!.split(/:(.*)/s);
  const basic = Buffer.from(`${decodeURIComponent(user)}:${decodeURIComponent(password)}`).toString('base64');
  return { url: `${m[1]}${m[3]}`, authorization: `Basic ${basic}` };
}

const NETWORK_ERROR = /could not resolve host|connection (timed out|reset|refused)|early eof|rpc failed|unable to access|the remote end hung up|gnutls|ssl|operation timed out|HTTP 5\d\d|temporary failure/i;

/**
 * One line of git's error output. git says the cause on its first `fatal:`
 * line and ends with generic advice ("...and the repository exists."), so the
 * first fatal/error line wins over the last line.
 */
function errorText(error: unknown, url: string): string {
  const text = error instanceof Error ? error.message : String(error);
  const lines = text.split(url).join(displayUrl(url)).trim().split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /^(fatal|error):/i.test(l)) ?? lines.at(-1) ?? text;
}

async function fetchWithRetry(dir: string, url: string, options: GitOptions): Promise<void> {
  const delays = options.retryDelaysMs ?? [2_000, 5_000, 15_000];
  for (let attempt = 0; ; attempt++) {
    try {
      await git(dir, options.signal, splitCredentials(url).authorization).fetch(['--prune', '--prune-tags', '--force', 'origin']);
      return;
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      const text = errorText(error, url);
      const delay = delays[attempt];
      if (!NETWORK_ERROR.test(text) || delay === undefined) throw new FetchError(text, NETWORK_ERROR.test(text));
      options.onRetry?.(attempt + 1, text);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

class FetchError extends Error {
  constructor(
    message: string,
    readonly network: boolean,
  ) {
    super(message);
  }
}

/**
 * Creates or updates the bare mirror of `url` under `cacheDir`. A later call
 * fetches only what is new; when the network fails and a mirror exists, the
 * cached copy is used and a warning says so.
 */
export async function ensureMirror(url: string, cacheDir: string, options: GitOptions = {}): Promise<MirrorResult> {
  const path = mirrorPath(cacheDir, url);
  return withLock(`${path}.lock`, `updating ${displayUrl(url)}`, { wait: true, ...(options.signal ? { signal: options.signal } : {}) }, async () => {
    if (existsSync(path)) {
      try {
        await fetchWithRetry(path, url, options);
        return { path, offline: false, warnings: [] };
      } catch (error) {
        if (!(error instanceof FetchError)) throw error;
        const age = (await stat(path)).mtime.toISOString();
        return { path, offline: true, warnings: [`could not fetch ${displayUrl(url)} (${error.message}); using the cached mirror last updated ${age}`] };
      }
    }
    // First use: build the mirror under a temporary name, then rename it into place.
    const temp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    await mkdir(temp, { recursive: true });
    try {
      const g = git(temp, options.signal);
      await g.init(true);
      await g.addRemote('origin', splitCredentials(url).url);
      await g.raw(['config', 'remote.origin.fetch', '+refs/heads/*:refs/heads/*']);
      await g.raw(['config', '--add', 'remote.origin.fetch', '+refs/tags/*:refs/tags/*']);
      await g.raw(['config', 'gc.auto', '0']);
      await fetchWithRetry(temp, url, options);
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { recursive: true, force: true });
      if (options.signal?.aborted) throw options.signal.reason;
      if (error instanceof FetchError) {
        const message = `cannot fetch CanvOS from ${displayUrl(url)}: ${error.message}`;
        // The network failing is a runtime failure (1); a URL or path that is no repository is bad input (2).
        if (error.network) throw new RuntimeError(message, { code: 'git-fetch', fix: 'check the network or proxy, or pass --repo with a reachable mirror' });
        throw new InputError(message, { code: 'git-repo', fix: 'check --repo (or canvos.repo): it must be a git repository URL or path you can read' });
      }
      throw error;
    }
    return { path, offline: false, warnings: [] };
  });
}

export interface TagRef {
  name: string;
  /** The commit the tag points at (annotated tags peeled). */
  commit: string;
}

export async function listTags(mirror: string): Promise<TagRef[]> {
  const out = await git(mirror).raw(['for-each-ref', 'refs/tags', '--format=%(refname:strip=2) %(objectname) %(*objectname)']);
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [name, object, peeled] = line.split(' ');
      return { name: name!, commit: peeled || object! };
    });
}

/** Lines matching `pattern` (extended regex) in `path` at each commit, in one git call. */
export async function grepAt(mirror: string, commits: readonly string[], pattern: string, path: string): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>();
  if (commits.length === 0) return found;
  let out = '';
  try {
    out = await git(mirror).raw(['grep', '-E', '-e', pattern, ...new Set(commits), '--', path]);
  } catch {
    return found; // exit 1: no match anywhere
  }
  for (const line of out.split('\n')) {
    const m = /^([0-9a-f]{40,64}):[^:]*:(.*)$/.exec(line);
    if (m) found.set(m[1]!, [...(found.get(m[1]!) ?? []), m[2]!]);
  }
  return found;
}

/** A file's content at a revision, or undefined when it does not exist there. */
export async function showFile(mirror: string, rev: string, path: string): Promise<string | undefined> {
  try {
    return await git(mirror).show([`${rev}:${path}`]);
  } catch {
    return undefined;
  }
}

/**
 * A fresh, clean checkout of `tag` at `dest` with every tag present (CanvOS's
 * earthly.sh runs `git describe --tags`). A previous checkout at `dest` is
 * replaced only if edgebuild made it.
 */
export async function checkoutTag(mirror: string, tag: string, dest: string, originUrl: string, signal?: AbortSignal): Promise<void> {
  if (existsSync(dest) && !existsSync(join(dest, '.git', CHECKOUT_MARKER))) {
    throw new InputError(`${dest} exists and was not made by edgebuild; refusing to replace it`, { code: 'work-dir-foreign', fix: 'pass another --work-dir, or move that folder away' });
  }
  const temp = `${dest}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await mkdir(temp, { recursive: true });
  try {
    await git(temp, signal).clone(mirror, '.', ['--no-checkout', '--quiet']);
    const g = git(temp, signal);
    await g.raw(['-c', 'advice.detachedHead=false', 'checkout', '--quiet', '--detach', `refs/tags/${tag}`]);
    await g.remote(['set-url', 'origin', splitCredentials(originUrl).url]);
    await writeFile(join(temp, '.git', CHECKOUT_MARKER), `${tag}\n`);
    await rm(dest, { recursive: true, force: true });
    await rename(temp, dest);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    if (signal?.aborted) throw signal.reason;
    throw new RuntimeError(`cannot check out ${tag}: ${error instanceof Error ? error.message.trim() : String(error)}`, { code: 'git-checkout', fix: 'remove the cache dir and retry' });
  }
}

export async function gitVersion(): Promise<string | undefined> {
  try {
    const v = await simpleGit().version();
    return v.installed ? `${v.major}.${v.minor}.${typeof v.patch === 'number' ? v.patch : v.patch}` : undefined;
  } catch {
    return undefined;
  }
}
