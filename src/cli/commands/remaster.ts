import type { CommandContext } from '../context.js';
import { InputError } from '../../errors.js';
import { formatMeaningDiff } from '../../core/userData/diff.js';
import { runRemaster, type RemasterPlan, type RemasterResult } from '../../pipeline/remaster.js';

interface Flags {
  userData?: string;
  config?: string;
  keepWebhook?: boolean;
  out?: string;
  trustInput?: boolean;
  cacheDir?: string;
  dryRun?: boolean;
  json?: boolean;
}

function changesText(result: RemasterPlan | RemasterResult): string[] {
  const lines = formatMeaningDiff(result.changes);
  const head = result.changes.unreadable ? [`  (the ISO's ${result.embeddedPath} does not parse: ${result.changes.unreadable})`] : [];
  return [...head, ...(lines.length ? lines.map((l) => `    ${l}`) : ['    (no change of meaning)'])];
}

function humanText(result: RemasterPlan | RemasterResult): string {
  const common = [
    `  input      ${result.input}`,
    `  boot       ${result.bootLayout}, volume id ${result.volumeId}`,
    `  write      ${result.write.method === 'in-place' ? 'in place (a copy of the input with the file and its directory records patched)' : `xorriso (${result.write.reason})`}`,
    `  user-data  ${result.userData.source} → /${result.embeddedPath} (sha256 ${result.userData.sha256}, imageRedirectWebhook.enable: ${result.userData.imageRedirectWebhook})`,
    `  changes (key paths; values not shown):`,
    ...changesText(result),
  ];
  if (result.status === 'planned') return [`Planned: remaster into ${result.out}`, ...common].join('\n');
  return [
    `Remastered and verified in ${(result.durationMs / 1000).toFixed(1)}s`,
    ...common,
    ...result.checks.map((c) => `  ok  ${c.message}`),
    ...result.artifacts.map((a) => `  ${a.path}  ${a.size} bytes  sha256 ${a.sha256}`),
    `  ${result.manifest}`,
  ].join('\n');
}

export async function remasterCommand({ options, io, out }: CommandContext<Flags>, args: string[]): Promise<number> {
  const iso = args[0];
  if (!iso) throw new InputError('no ISO given', { code: 'usage', fix: 'run edgebuild remaster dist/<name>.iso --user-data <file>' });
  const result = await runRemaster({
    ...options,
    iso,
    cwd: io.cwd,
    env: io.env,
    signal: io.signal,
    onProgress: (line) => out.info(line),
    onWarning: (w) => out.warn(w),
  });
  out.result(result, humanText(result));
  return 0;
}
