import { mirrorOptions, type CommandContext } from '../context.js';
import { InputError } from '../../errors.js';
import { tagVersions } from '../../pipeline/tagRules.js';

interface Flags {
  tag?: string;
  repo?: string;
  cacheDir?: string;
  json?: boolean;
}

export async function versionsCommand({ options, io, out }: CommandContext<Flags>): Promise<number> {
  if (!options.tag) throw new InputError('no CanvOS tag given', { code: 'no-tag', fix: 'pass --tag vX.Y.Z (or --tag latest)' });
  const report = await tagVersions({
    tag: options.tag,
    ...mirrorOptions(options, io, out),
  });
  if (!options.json) report.warnings.forEach((w) => out.warn(w));
  const human = Object.entries(report.distributions)
    .map(([distribution, versions]) => `${distribution}: ${versions ? versions.join(' ') : '(versions not listed by this tag)'}`)
    .join('\n');
  out.result({ status: 'ok', ...report }, `CanvOS ${report.tag} (${report.source})\n${human}`);
  return 0;
}
