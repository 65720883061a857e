/**
 * Git through simple-git: a cached bare mirror of the CanvOS repository, and
 * fresh checkouts of a tag made from it.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { SimpleGit } from 'simple-git';
import { InputError, RuntimeError } from '../errors.js';
import { sha256 } from '../core/digest.js';
import { maskUrlCredentials } from '../core/urlCredentials.js';
import { sweepLeftovers, withLock } from './files.js';
import { ownerTag } from './processIdentity.js';

export const GIT_TIMEOUT_MS = 10 * 60_000; // a git call with no output for this long is hung
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
  /** Told when another edgebuild updates the same mirror and we wait for it. */
  onWait?: (line: string) => void;
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
  const key = sha256(url).slice(0, 12);
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

/**
 * The one repository a git call acts on. git otherwise searches the current
 * directory and its parents for a repository: a damaged mirror (no HEAD) under
 * a cache dir inside a dotfiles repo would make `fetch --prune --prune-tags`
 * run in the user's repository and delete their tags. GIT_DIR names the
 * repository, so git never searches; GIT_CEILING_DIRECTORIES stops a search
 * at the repository's own folder should one happen anyway (clone).
 */
export interface Repo {
  gitDir?: string;
  workTree?: string;
  /** Where git runs when no gitDir is named (clone): nothing above it is searched. */
  cwd?: string;
}

/** The environment of a git call on `repo`: what git needs of ours, and the one repository it may act on. */
export function repoEnv(repo: Repo, authorization?: string): Record<string, string> {
  const env = gitEnv(authorization);
  env.GIT_CEILING_DIRECTORIES = dirname(repoHome(repo));
  if (repo.gitDir) env.GIT_DIR = resolve(repo.gitDir);
  if (repo.workTree) env.GIT_WORK_TREE = resolve(repo.workTree);
  return env;
}

const repoHome = (repo: Repo): string => resolve(repo.workTree ?? repo.gitDir ?? repo.cwd ?? '.');

/** simple-git is loaded on first use: an up-to-date rerun reads git through gitRead.ts and never needs it. */
async function git(repo: Repo, signal?: AbortSignal, authorization?: string): Promise<SimpleGit> {
  const { simpleGit } = await import('simple-git');
  return simpleGit({
    baseDir: repoHome(repo),
    timeout: { block: GIT_TIMEOUT_MS },
    ...(signal ? { abort: signal } : {}),
    // Our own GIT_CONFIG_* (the one extraHeader above) only; the caller's environment is filtered.
    ...(authorization ? { unsafe: { allowUnsafeConfigEnvCount: true } } : {}),
  }).env(repoEnv(repo, authorization));
}

export const bare = (gitDir: string): Repo => ({ gitDir });

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
 * Network failures worth a retry. A host name that does not resolve (offline,
 * or a typo) stays unresolved for the seconds a retry waits: fail at once.
 */
export function isTransient(gitError: string): boolean {
  return NETWORK_ERROR.test(gitError) && !/could not resolve host/i.test(gitError);
}

/**
 * One line of git's error output. git says the cause on its first `fatal:`
 * line and ends with generic advice ("...and the repository exists."), so the
 * first fatal/error line wins over the last line.
 */
function errorText(error: unknown, url?: string): string {
  const text = error instanceof Error ? error.message : String(error);
  const lines = (url ? text.split(url).join(displayUrl(url)) : text).trim().split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /^(fatal|error):/i.test(l)) ?? lines.at(-1) ?? text;
}

async function fetchWithRetry(dir: string, url: string, options: GitOptions): Promise<void> {
  const delays = options.retryDelaysMs ?? [2_000, 5_000, 15_000];
  for (let attempt = 0; ; attempt++) {
    try {
      await (await git(bare(dir), options.signal, splitCredentials(url).authorization)).fetch(['--prune', '--prune-tags', '--force', 'origin']);
      return;
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      const text = errorText(error, url);
      const delay = delays[attempt];
      if (!isTransient(text) || delay === undefined) throw new FetchError(text, NETWORK_ERROR.test(text));
      options.onRetry?.(attempt + 1, text);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/** git's words for objects it cannot read in our own repository (not a remote's trouble). */
const CORRUPT = /corrupt|bad object|invalid object|unable to (read|unpack)|inflate|packfile|pack has|missing (blob|tree|commit)|not a git repository/i;

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
  const path = mirrorPath(resolve(cacheDir), url);
  const lockOptions = { wait: true, ...(options.signal ? { signal: options.signal } : {}), ...(options.onWait ? { onWait: (holder: string, until: Date) => options.onWait!(`another edgebuild is updating ${path} (${holder}); waiting for it, until ${until.toISOString()} at most`) } : {}) };
  return withLock(`${path}.lock`, `updating ${displayUrl(url)}`, lockOptions, async () => {
    const warnings: string[] = [];
    // Mirrors half-built by runs that were killed.
    await sweepLeftovers(dirname(path), [`${basename(path)}.tmp-`]);
    const damage = existsSync(path) ? await mirrorDamage(path, url) : undefined;
    if (damage) {
      // Moved, not deleted: it is the user's disk, and what broke it may be worth a look.
      const aside = `${path}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      await rename(path, aside);
      warnings.push(`the cached mirror ${path} was damaged (${damage}); moved it to ${aside} and fetching a fresh copy`);
    }
    if (existsSync(path)) {
      try {
        await fetchWithRetry(path, url, options);
        return { path, offline: false, warnings };
      } catch (error) {
        if (!(error instanceof FetchError)) throw error;
        if (!error.network && CORRUPT.test(error.message)) throw damagedMirror(path, error);
        const age = (await stat(path)).mtime.toISOString();
        return { path, offline: true, warnings: [...warnings, `could not fetch ${displayUrl(url)} (${error.message}); using the cached mirror last updated ${age}`] };
      }
    }
    // First use: build the mirror under a temporary name, then rename it into place.
    const temp = `${path}.tmp-${ownerTag()}-${randomBytes(4).toString('hex')}`;
    await mkdir(temp, { recursive: true });
    try {
      const g = await git(bare(temp), options.signal);
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
    return { path, offline: false, warnings };
  });
}

/**
 * Why `path` is not a usable mirror of `url`, or undefined when it is: a
 * bare repository of its own (not a folder inside another repository), with
 * HEAD and objects, whose origin is `url`.
 */
async function mirrorDamage(path: string, url: string): Promise<string | undefined> {
  if (!(await stat(path)).isDirectory()) return 'it is not a directory';
  for (const part of ['HEAD', 'objects', 'config']) if (!existsSync(join(path, part))) return `it has no ${part}`;
  let facts: string[];
  try {
    facts = (await (await git(bare(path))).raw(['rev-parse', '--is-bare-repository', '--absolute-git-dir'])).trim().split('\n');
  } catch (error) {
    return `git cannot read it: ${errorText(error)}`;
  }
  if (facts[0] !== 'true') return 'it is not a bare repository';
  if (facts[1] !== (await realpath(path))) return `git reads it as ${facts[1]}`;
  const origin = (await (await git(bare(path))).raw(['config', '--get', 'remote.origin.url']).catch(() => '')).trim();
  if (origin !== splitCredentials(url).url) return `its origin is ${origin ? displayUrl(origin) : 'not set'}`;
  return undefined;
}

/** Objects git cannot read (a truncated pack, a corrupted loose object): one line and the fix, exit 1. */
export function damagedMirror(mirror: string, error: unknown): RuntimeError {
  return new RuntimeError(`the cached CanvOS mirror ${mirror} is damaged: ${error instanceof FetchError ? error.message : errorText(error)}`, {
    code: 'git-mirror-damaged',
    fix: `remove ${mirror}, or run with a fresh --cache-dir`,
  });
}

export interface TagRef {
  name: string;
  /** The commit the tag points at (annotated tags peeled). */
  commit: string;
}

export async function listTags(mirror: string): Promise<TagRef[]> {
  let out: string;
  try {
    out = await (await git(bare(mirror))).raw(['for-each-ref', 'refs/tags', '--format=%(refname:strip=2) %(objectname) %(*objectname)']);
  } catch (error) {
    throw damagedMirror(mirror, error);
  }
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [name, object, peeled] = line.split(' ');
      return { name: name!, commit: peeled || object! };
    });
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
  // Clones left by runs that were killed; the caller holds the work dir's lock.
  await sweepLeftovers(dirname(dest), [`${basename(dest)}.tmp-`]);
  const temp = `${dest}.tmp-${ownerTag()}-${randomBytes(4).toString('hex')}`;
  await mkdir(temp, { recursive: true });
  try {
    await (await git({ cwd: temp }, signal)).clone(mirror, temp, ['--no-checkout', '--quiet']);
    const g = await git({ gitDir: join(temp, '.git'), workTree: temp }, signal);
    await g.raw(['-c', 'advice.detachedHead=false', 'checkout', '--quiet', '--detach', `refs/tags/${tag}`]);
    await g.remote(['set-url', 'origin', splitCredentials(originUrl).url]);
    await writeFile(join(temp, '.git', CHECKOUT_MARKER), `${tag}\n`);
    await rm(dest, { recursive: true, force: true });
    await rename(temp, dest);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    if (signal?.aborted) throw signal.reason;
    throw new RuntimeError(`cannot check out ${tag} from the cached mirror ${mirror}: ${errorText(error)}`, { code: 'git-checkout', fix: `remove ${mirror}, or run with a fresh --cache-dir` });
  }
}

export async function gitVersion(): Promise<string | undefined> {
  try {
    const v = await (await git({ cwd: tmpdir() })).version();
    return v.installed ? `${v.major}.${v.minor}.${typeof v.patch === 'number' ? v.patch : v.patch}` : undefined;
  } catch {
    return undefined;
  }
}
