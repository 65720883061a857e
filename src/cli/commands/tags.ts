import { mirrorOptions, type CommandContext } from '../context.js';
import { listCanvosTags } from '../../pipeline/tags.js';

interface Flags {
  repo?: string;
  cacheDir?: string;
  json?: boolean;
}

export async function tagsCommand({ options, io, out }: CommandContext<Flags>): Promise<number> {
  const report = await listCanvosTags({
    ...mirrorOptions(options, io, out),
  });
  const label = { stable: '', prerelease: '  (pre-release)', other: '  (not a semver release)' };
  const width = Math.max(0, ...report.tags.map((t) => t.name.length));
  const human = report.tags
    .map((t) => {
      const pe = t.peVersion === null ? 'PE_VERSION unknown' : t.peVersion === t.name ? '' : `PE_VERSION ${t.peVersion}`;
      return `${t.name.padEnd(width)}${t.latest ? '  (latest)' : label[t.kind]}${pe ? `  ${pe}` : ''}`.trimEnd();
    })
    .join('\n');
  out.result({ status: 'ok', ...report }, human || 'no tags');
  return 0;
}
