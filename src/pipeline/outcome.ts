/**
 * The end of an `iso` run: its build key, its result document, and how a
 * failure is shown (the log's last lines; a `::error::` annotation under
 * GitHub Actions).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { isEdgebuildError } from '../errors.js';
import { buildKey } from '../core/build/key.js';
import { isGithubActions } from '../core/github/report.js';
import { errorAnnotation, withoutCommands } from '../core/github/workflowCommands.js';
import type { Manifest } from '../core/manifest.js';
import type { Plan } from '../core/plan.js';
import { sha256Tree } from '../adapters/checksum.js';
import { FileHashCache } from '../adapters/hashCache.js';
import { majorVersion } from '../version.js';
import type { BuildOutcome } from './build.js';
import { publishedArtifact, type Published, type PublishedArtifact } from './publish.js';
import type { ProgressStream } from './renderer.js';

/** `cacheDir`: where the content hashes of `files:` are cached, so unchanged files are not read again. */
export async function buildKeyOf(plan: Plan, signal?: AbortSignal, cacheDir?: string): Promise<{ buildKey: string; fileHashes: { to: string; sha256: string }[] }> {
  const fileHashes: { to: string; sha256: string }[] = [];
  if (plan.files.length > 0) {
    const cache = await FileHashCache.load(cacheDir);
    for (const f of plan.files) fileHashes.push({ to: f.to, sha256: await sha256Tree(f.from, signal, (file, s) => cache.sha256(file, s)) });
    await cache.save();
  }
  const key = buildKey({
    commit: plan.commit,
    argText: plan.argText,
    userDataSha256: plan.userData.sha256,
    files: fileHashes,
    target: plan.target,
    edgebuildMajor: majorVersion,
  });
  return { buildKey: key, fileHashes };
}

export interface BuiltResult {
  status: 'built' | 'up-to-date';
  tag: string;
  commit: string;
  peVersion: string | null;
  artifacts: PublishedArtifact[];
  manifest: string;
  /** The build log; null when nothing was built. */
  log: string | null;
  durationMs: number;
  buildKey: string;
  warnings: string[];
}

export function builtResult(c: { plan: Plan; published: Published; build: BuildOutcome; startedAt: Date; buildKey: string; warnings: string[] }): BuiltResult {
  return {
    status: 'built',
    tag: c.plan.tag,
    commit: c.plan.commit,
    peVersion: c.plan.peVersion ?? null,
    artifacts: c.published.artifacts,
    manifest: c.published.manifestPath,
    log: 'logPath' in c.build ? c.build.logPath : null,
    durationMs: Date.now() - c.startedAt.getTime(),
    buildKey: c.buildKey,
    warnings: c.warnings,
  };
}

export function upToDateResult(manifest: Manifest, outDir: string, startedAt: Date, warnings: string[]): BuiltResult {
  return {
    status: 'up-to-date',
    tag: manifest.canvos.tag,
    commit: manifest.canvos.commit,
    peVersion: manifest.canvos.peVersion,
    artifacts: manifest.artifacts.map(publishedArtifact(outDir)),
    manifest: join(outDir, 'manifest.json'),
    log: null,
    durationMs: Date.now() - startedAt.getTime(),
    buildKey: manifest.buildKey,
    warnings,
  };
}

/** After the task list stopped rendering: the log's last lines, and the annotation CI shows on the run. */
export function reportFailure(stderr: ProgressStream, env: Record<string, string | undefined>, error: unknown): void {
  if (!isEdgebuildError(error)) return;
  const tail = error.details.tail;
  const log = error.details.log;
  const github = isGithubActions(env);
  if (Array.isArray(tail) && tail.length > 0) {
    const lines = `${tail.map((l) => `  ${String(l)}`).join('\n')}\n`;
    // Build output must not issue workflow commands (`  ::warning::…`, `… ##[error]…`): a fresh token per echo.
    stderr.write(`last lines of the build log${typeof log === 'string' ? ` (${log})` : ''}:\n${github ? withoutCommands(lines, randomBytes(12).toString('hex')) : lines}`);
  }
  if (github && error.exitCode !== 130) stderr.write(errorAnnotation(error.line));
}
