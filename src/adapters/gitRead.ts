/**
 * The git reads of a rerun, one process each: the remote's tags now
 * (`git ls-remote`) and files at a commit from the cached mirror
 * (`git cat-file --batch`, which needs stdin: a plain child process, so
 * simple-git is not loaded on this path). Both act on the named mirror only
 * (GIT_DIR, as every call in git.ts).
 */
import { spawn } from 'node:child_process';
import { GIT_TIMEOUT_MS, bare, damagedMirror, repoEnv, splitCredentials, type TagRef } from './git.js';

/** git's stdout; rejects with its stderr as the message (git.ts's errorText reads it). */
function runGit(mirror: string, args: string[], options: { input?: string; signal?: AbortSignal | undefined; authorization?: string | undefined } = {}): Promise<Buffer> {
  return new Promise((done, fail) => {
    const child = spawn('git', args, { cwd: mirror, env: repoEnv(bare(mirror), options.authorization), stdio: ['pipe', 'pipe', 'pipe'], ...(options.signal ? { signal: options.signal } : {}) });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    // As simple-git's block timeout in git.ts: a call silent for this long is hung.
    const hung = setTimeout(() => child.kill('SIGKILL'), GIT_TIMEOUT_MS);
    child.stdout.on('data', (b: Buffer) => out.push(b) && hung.refresh());
    child.stderr.on('data', (b: Buffer) => err.push(b) && hung.refresh());
    child.stdin.on('error', () => undefined); // git exiting early closes its stdin: its exit status tells
    child.on('error', (error) => {
      clearTimeout(hung);
      fail(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(hung);
      if (code === 0) done(Buffer.concat(out));
      else fail(Object.assign(new Error(Buffer.concat(err).toString('utf8').trim() || `git ${args[0]} ended with ${signal ?? `exit ${code}`}`), { exitCode: code }));
    });
    child.stdin.end(options.input ?? '');
  });
}

/**
 * The tags of `url` as the remote has them now (annotated tags peeled), in
 * one `git ls-remote` run in the mirror; undefined when the remote cannot be
 * read (offline, gone, no mirror yet or a damaged one): the caller falls back
 * to fetching.
 */
export async function remoteTags(mirror: string, url: string, signal?: AbortSignal): Promise<TagRef[] | undefined> {
  const { url: plain, authorization } = splitCredentials(url);
  let out: string;
  try {
    out = (await runGit(mirror, ['ls-remote', '--tags', plain], { signal, authorization })).toString('utf8');
  } catch {
    if (signal?.aborted) throw signal.reason;
    return undefined;
  }
  const tags = new Map<string, { object: string; peeled?: string }>();
  for (const line of out.split('\n')) {
    const m = /^([0-9a-f]{40,64})\trefs\/tags\/(.+?)(\^\{\})?$/.exec(line);
    if (!m) continue;
    const tag = tags.get(m[2]!) ?? { object: m[1]! };
    if (m[3]) tag.peeled = m[1]!;
    tags.set(m[2]!, tag);
  }
  return [...tags].map(([name, t]) => ({ name, commit: t.peeled ?? t.object }));
}

/** A commit id; a tag name that cannot end a batch line early or name another object. */
const COMMIT_ID = /^[0-9a-f]{40,64}$/;
const PLAIN_TAG = /^(?!.*\.\.)[\w+./-]+$/;

export interface FilesAt {
  commit: string;
  /** Each path's text; undefined for one that does not exist at the commit. */
  files: Map<string, string | undefined>;
}

/**
 * `paths` at a commit, or at the commit a tag points to in the mirror, in one
 * `git cat-file --batch`; undefined when the mirror has no such commit or tag
 * (or the tag name is not a plain one). Rejects when git cannot read the mirror.
 */
export async function readAt(mirror: string, at: { commit: string } | { tag: string }, paths: readonly string[], signal?: AbortSignal): Promise<FilesAt | undefined> {
  if ('tag' in at ? !PLAIN_TAG.test(at.tag) : !COMMIT_ID.test(at.commit)) return undefined;
  const rev = 'tag' in at ? `refs/tags/${at.tag}^{commit}` : at.commit;
  const names = [rev, ...paths.map((p) => `${rev}:${p}`)];
  const out = await runGit(mirror, ['cat-file', '--batch'], { input: `${names.join('\n')}\n`, signal });
  const objects: ({ id: string; type: string; body: Buffer } | undefined)[] = [];
  let offset = 0;
  for (const name of names) {
    const eol = out.indexOf(10, offset);
    const header = out.subarray(offset, eol).toString('utf8');
    offset = eol + 1;
    if (header === `${name} missing` || header === `${name} ambiguous`) {
      objects.push(undefined);
      continue;
    }
    const [id = '', type = '', size = ''] = header.split(' ');
    if (eol < 0 || !/^\d+$/.test(size)) throw new Error(`git cat-file printed ${JSON.stringify(header)} for ${name}`);
    objects.push({ id, type, body: out.subarray(offset, offset + Number(size)) });
    offset += Number(size) + 1; // the content, then a newline
  }
  const commit = objects[0];
  if (commit?.type !== 'commit') return undefined;
  const files = new Map(
    paths.map((p, i) => {
      const o = objects[i + 1];
      return [p, o?.type === 'blob' ? o.body.toString('utf8') : undefined];
    }),
  );
  return { commit: commit.id, files };
}

/** Lines matching `pattern` (extended regex) in `path` at each commit, in one `git grep`. */
export async function grepAt(mirror: string, commits: readonly string[], pattern: string, path: string): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>();
  if (commits.length === 0) return found;
  let out = '';
  try {
    out = (await runGit(mirror, ['grep', '-E', '-e', pattern, ...new Set(commits), '--', path])).toString('utf8');
  } catch (error) {
    if ((error as { exitCode?: unknown }).exitCode === 1 && !/^(fatal|error):/im.test((error as Error).message)) return found; // no match anywhere
    throw damagedMirror(mirror, error);
  }
  for (const line of out.split('\n')) {
    const m = /^([0-9a-f]{40,64}):[^:]*:(.*)$/.exec(line);
    if (m) found.set(m[1]!, [...(found.get(m[1]!) ?? []), m[2]!]);
  }
  return found;
}
