import type { CommandContext } from '../program.js';
import { appendToGithub, isoReport } from '../githubActions.js';
import { runIso } from '../../pipeline/iso.js';
import type { IsoOptions } from '../../pipeline/options.js';

type Flags = Omit<IsoOptions, 'cwd' | 'env' | 'signal'> & { json?: boolean };

export async function isoCommand({ options, io, out }: CommandContext<Flags>): Promise<number> {
  const result = await runIso({
    options: { ...options, cwd: io.cwd, env: io.env, signal: io.signal },
    stderr: io.stderr,
    onWarning: (w) => out.warn(w),
  });
  const human = [
    `Planned: CanvOS ${result.tag} (${result.commit.slice(0, 12)}), PE_VERSION ${result.peVersion ?? 'unknown'}`,
    `  checkout   ${result.canvosDir}`,
    `  user-data  ${result.userData.path} (imageRedirectWebhook.enable: ${result.userData.imageRedirectWebhook})`,
    `  build      (cd ${result.canvosDir} && ${result.command.join(' ')})`,
  ].join('\n');
  out.result(result, human);
  // Later steps read iso/sha256/manifest/status; a dry run reports status "planned".
  await appendToGithub(io.env, isoReport(result));
  return 0;
}
