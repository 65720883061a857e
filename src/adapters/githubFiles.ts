/** Appends a GitHub Actions report (core/github/report.ts) to the files the runner named: $GITHUB_OUTPUT, $GITHUB_STEP_SUMMARY. */
import { randomUUID } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import { RuntimeError } from '../errors.js';
import { githubAppends, type GithubReport } from '../core/github/report.js';

export type Append = (path: string, data: string) => Promise<void>;

/**
 * Appends the report to $GITHUB_OUTPUT and $GITHUB_STEP_SUMMARY when running
 * under GitHub Actions; does nothing elsewhere. Returns the files written.
 */
export async function appendToGithub(
  env: Record<string, string | undefined>,
  report: GithubReport,
  append: Append = (path, data) => appendFile(path, data, 'utf8'),
): Promise<string[]> {
  // A random delimiter: no value can end its output early.
  const appends = githubAppends(env, report, `ghadelimiter_${randomUUID()}`);
  for (const { path, text } of appends) {
    try {
      await append(path, text);
    } catch (error) {
      throw new RuntimeError(`cannot append to ${path}: ${(error as Error).message}`, {
        code: 'github-output',
        fix: 'check that GITHUB_OUTPUT and GITHUB_STEP_SUMMARY name writable files (they are set by the runner)',
        cause: error,
      });
    }
  }
  return appends.map(({ path }) => path);
}
