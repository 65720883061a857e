import { resolve } from 'node:path';
import type { CommandContext } from '../context.js';
import { formatChecks } from '../checkTable.js';
import { textWidth } from '../io.js';
import { ExitCode } from '../../errors.js';
import { parseSkipIds, preflightSettings } from '../../core/preflight/checks.js';
import { directoryPath } from '../../adapters/dirPath.js';
import { loadConfig } from '../../pipeline/inputs.js';
import { DEFAULT_WORK_DIR } from '../../pipeline/options.js';
import { runPreflight } from '../../pipeline/preflight.js';

interface Flags {
  config?: string;
  workDir?: string;
  skipCheck?: string[];
  json?: boolean;
}

/** `edgebuild doctor`: step 4 alone. Exit 0 when no check fails, 3 otherwise. */
export async function doctorCommand({ options, io, out }: CommandContext<Flags>): Promise<number> {
  parseSkipIds(options.skipCheck ?? []); // a typo is exit 2 before anything slow
  const { config } = await loadConfig({ config: options.config, cwd: io.cwd });
  // A file named as the work dir would pass the disk check and fail the build.
  const { path: workDir } = await directoryPath(resolve(io.cwd, options.workDir ?? DEFAULT_WORK_DIR), '--work-dir');
  const report = await runPreflight({
    ...preflightSettings(config),
    workDir,
    skip: options.skipCheck,
    env: io.env,
    signal: io.signal,
    onProgress: (line) => out.info(line),
  });
  report.warnings.forEach((w) => out.warn(w));
  const verdict = report.status === 'ok' ? 'The host is ready to build.' : 'The host is not ready to build: fix the failed checks above.';
  // Wrapped to a terminal; piped (CI logs, grep) it stays one table row per check.
  out.result({ status: report.status, checks: report.checks }, `${formatChecks(report.checks, io.stdout.columns ? textWidth(io) : Infinity)}\n\n${verdict}`);
  return report.status === 'ok' ? ExitCode.ok : ExitCode.preflight;
}
