/**
 * A pseudo-terminal for the build's stdin, made by util-linux `script`
 * (Debian/Ubuntu and GitHub's runners have it): CanvOS's proxy path runs
 * `docker exec -it`, which fails with "the input device is not a TTY"
 * otherwise, and the proxy's CA never reaches buildkitd. The process side —
 * the session `script` makes, its cleanup and the log cleaning — lives in the
 * build supervisor (assets/edgebuild-build-supervisor.mjs --pty); this module
 * decides when it is needed and whether `script` can give it.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { RuntimeError } from '../errors.js';
import type { ArgValues } from '../core/argFile.js';
import { takesProxyPath } from '../core/build/proxyPath.js';

/** Files under `<canvosDir>/certs`, relative to it; none when it does not exist. */
async function certFiles(canvosDir: string): Promise<string[]> {
  try {
    const entries = await readdir(join(canvosDir, 'certs'), { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(join(canvosDir, 'certs').length + 1));
  } catch {
    return [];
  }
}

/** util-linux `script` on the build's PATH, or why not. */
async function scriptProblem(env: Record<string, string | undefined>): Promise<string | undefined> {
  try {
    const { execa } = await import('execa'); // loaded by a proxy build only
    const { stdout } = await execa('script', ['--version'], { env: env as Record<string, string>, extendEnv: false, timeout: 10_000 });
    return /util-linux/.test(stdout) ? undefined : `\`script --version\` says "${stdout.trim()}", not util-linux`;
  } catch (error) {
    return (error as { code?: string }).code === 'ENOENT' ? '`script` (util-linux) is not on PATH' : `\`script --version\` failed: ${(error as Error).message.split('\n')[0]}`;
  }
}

/**
 * True when earthly.sh will take its proxy path in this checkout, so the
 * build needs a terminal on stdin; throws (exit 1, before the build) when
 * util-linux `script` cannot give one.
 */
export async function buildNeedsPty(canvosDir: string, arg: ArgValues, env: Record<string, string | undefined>): Promise<boolean> {
  if (!takesProxyPath(arg, env, await certFiles(canvosDir))) return false;
  const problem = await scriptProblem(env);
  if (problem) {
    throw new RuntimeError(`this build takes CanvOS's proxy path (a proxy is set or certs/ holds a file), whose \`docker exec -it\` needs a terminal, but ${problem}`, {
      code: 'pty-unavailable',
      fix: 'install util-linux (apt-get install util-linux; dnf install util-linux-script)',
    });
  }
  return true;
}
