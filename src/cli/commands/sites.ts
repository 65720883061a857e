import type { CommandContext } from '../context.js';
import { InputError } from '../../errors.js';
import { runSites } from '../../pipeline/sites.js';

interface Flags {
  sites?: string;
  template?: string;
  out?: string;
  json?: boolean;
}

const SHOWN = 20;

export async function sitesCommand({ options, io, out }: CommandContext<Flags>): Promise<number> {
  if (!options.sites || !options.template) {
    throw new InputError(`missing ${!options.sites ? '--sites <file>' : '--template <user-data>'}`, { code: 'usage', fix: 'run edgebuild sites --sites sites.csv --template site-user-data.yaml' });
  }
  let reported = 0;
  const result = await runSites(
    { sites: options.sites, template: options.template, cwd: io.cwd, env: io.env, signal: io.signal, ...(options.out ? { out: options.out } : {}) },
    {
      onWarning: (w) => out.warn(w),
      onProgress: (done, total) => {
        // A line per 100 sites keeps a 1,000-site run visible without flooding CI logs.
        if (done === total || done - reported >= 100) {
          reported = done;
          out.info(`rendered ${done}/${total} sites`);
        }
      },
    },
  );
  const shown = result.sites.first(SHOWN);
  const width = Math.max(...shown.map((s) => s.file.length));
  const lines = shown.map((s) => `  ${s.file.padEnd(width)}  ${String(s.size).padStart(8)}  ${s.sha256}`);
  if (result.sites.length > SHOWN) lines.push(`  ... and ${result.sites.length - SHOWN} more (see sites.json)`);
  out.resultWithList(result, 'sites', result.sites, [`Wrote ${result.count} site ISO${result.count === 1 ? '' : 's'} (volume id ${result.volumeId}) to ${result.out}`, ...lines, `  manifest  ${result.manifest}`].join('\n'));
  return 0;
}
