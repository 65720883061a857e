import type { CommandContext } from '../context.js';
import { isoReport } from '../../core/github/report.js';
import { appendToGithub } from '../../adapters/githubFiles.js';
import { isEdgebuildError } from '../../errors.js';
import { runIso, type PlannedResult } from '../../pipeline/iso.js';
import type { BuiltResult } from '../../pipeline/outcome.js';
import type { IsoOptions } from '../../pipeline/options.js';

type Flags = Omit<IsoOptions, 'cwd' | 'env' | 'signal'> & { json?: boolean };

function plannedText(result: PlannedResult): string {
  return [
    `Planned: CanvOS ${result.tag} (${result.commit.slice(0, 12)}), PE_VERSION ${result.peVersion ?? 'unknown'}`,
    `  checkout   ${result.canvosDir}`,
    `  user-data  ${result.userData.path} (imageRedirectWebhook.enable: ${result.userData.imageRedirectWebhook})`,
    `  build      (cd ${result.canvosDir} && ${result.command.join(' ')})`,
  ].join('\n');
}

function builtText(result: BuiltResult): string {
  const head =
    result.status === 'built'
      ? `Built and verified: CanvOS ${result.tag} (${result.commit.slice(0, 12)}), PE_VERSION ${result.peVersion ?? 'unknown'} in ${Math.round(result.durationMs / 1000)}s`
      : `Up to date: ${result.manifest} already describes a verified build of these inputs (CanvOS ${result.tag}); --force rebuilds`;
  const lines = result.artifacts.map((a) => `  ${a.path}  ${a.size} bytes  sha256 ${a.sha256}${a.mode === '0600' ? '  mode 0600: its user-data holds a registration token or secret' : ''}`);
  lines.push(`  ${result.manifest}`);
  if (result.log) lines.push(`  log: ${result.log}`);
  return [head, ...lines].join('\n');
}

export async function isoCommand({ options, io, out }: CommandContext<Flags>): Promise<number> {
  let result: Awaited<ReturnType<typeof runIso>>;
  try {
    result = await runIso({
      options: { ...options, cwd: io.cwd, env: io.env, signal: io.signal },
      stderr: io.stderr,
      onWarning: (w) => out.warn(w),
    });
  } catch (error) {
    // A failed release step still tells later steps (and the run page) what went wrong.
    const message = isEdgebuildError(error) ? error.line : 'internal error';
    await appendToGithub(io.env, isoReport({ status: 'error', error: message, tag: options.tag })).catch(() => undefined);
    throw error;
  }
  if (result.status === 'unverified') {
    out.result(result, `Ran ${result.target} (CanvOS ${result.tag}); exit status 0, output NOT verified, nothing published; log: ${result.log}`);
    await appendToGithub(io.env, isoReport(result));
    return 0;
  }
  out.result(result, result.status === 'planned' ? plannedText(result) : builtText(result));
  // Later steps read iso/sha256/manifest/status; a dry run reports status "planned".
  await appendToGithub(io.env, isoReport(result.status === 'planned' ? result : { ...result, log: result.log ?? undefined }));
  return 0;
}
