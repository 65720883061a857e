/**
 * Under GitHub Actions, commands hand their results to later steps through
 * $GITHUB_OUTPUT and show them on the run page through $GITHUB_STEP_SUMMARY.
 * Pure: the text of each; adapters/githubFiles.ts appends it. (Annotations
 * and log groups: workflowCommands.ts.)
 */

/**
 * What `edgebuild iso` returns, from the dry run (`planned`: no artifacts yet)
 * to a finished build (`built` / `up-to-date`). Every field but status is optional
 * so each stage of the pipeline can report what it has.
 */
export interface IsoResultShape {
  status: string;
  tag?: string;
  commit?: string;
  peVersion?: string | null;
  artifacts?: { path: string; sha256: string; size: number }[];
  manifest?: string;
  log?: string;
  durationMs?: number;
  /** The one-line message of a failed run (status `error`). */
  error?: string;
}

export interface GithubReport {
  /** Step outputs, by name (`steps.<id>.outputs.<name>`). */
  outputs: Record<string, string>;
  /** Markdown for the job summary. */
  summary?: string;
}

export function isGithubActions(env: Record<string, string | undefined>): boolean {
  return env.GITHUB_ACTIONS === 'true';
}

/** The ISO among the artifacts (its .sha256 and the manifest are the others). */
function isoArtifact(result: IsoResultShape): { path: string; sha256: string; size: number } | undefined {
  return result.artifacts?.find((a) => a.path.endsWith('.iso'));
}

/** Step outputs of `edgebuild iso`; absent values are empty strings so `if:` tests stay simple. */
export function isoOutputs(result: IsoResultShape): Record<string, string> {
  const iso = isoArtifact(result);
  return {
    status: result.status,
    tag: result.tag ?? '',
    commit: result.commit ?? '',
    'pe-version': result.peVersion ?? '',
    iso: iso?.path ?? '',
    sha256: iso?.sha256 ?? '',
    manifest: result.manifest ?? '',
    log: result.log ?? '',
    error: result.error ?? '',
  };
}

/**
 * $GITHUB_OUTPUT's multiline form, `name<<DELIM\nvalue\nDELIM\n`, safe for any
 * value that does not contain the delimiter (a random one, see adapters/githubFiles.ts).
 */
export function formatOutputs(outputs: Record<string, string>, delimiter: string): string {
  return Object.entries(outputs)
    .map(([name, value]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name)) throw new Error(`invalid output name ${JSON.stringify(name)}`);
      if (value.includes(delimiter)) throw new Error(`output ${name} contains the delimiter`);
      return `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
    })
    .join('');
}

/** A table cell: one line, pipes escaped. */
function cell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replaceAll('|', '\\|');
}

function code(text: string): string {
  return `\`${cell(text).replaceAll('`', "'")}\``;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(2)} ${units[unit]}`;
}

/** The job summary: what was built (or planned) from which CanvOS commit, and each artifact's checksum. */
export function isoSummary(result: IsoResultShape): string {
  const rows: [string, string][] = [['Status', `**${cell(result.status)}**`]];
  if (result.error) rows.push(['Error', cell(result.error)]);
  if (result.tag) rows.push(['CanvOS tag', code(result.tag)]);
  if (result.commit) rows.push(['Commit', code(result.commit)]);
  if (result.peVersion) rows.push(['PE_VERSION', code(result.peVersion)]);
  if (result.manifest) rows.push(['Manifest', code(result.manifest)]);
  if (result.log) rows.push(['Build log', code(result.log)]);
  if (result.durationMs !== undefined) rows.push(['Duration', `${Math.round(result.durationMs / 1000)} s`]);
  const lines = ['### edgebuild iso', '', '| | |', '| --- | --- |', ...rows.map(([k, v]) => `| ${k} | ${v} |`), ''];
  const artifacts = result.artifacts ?? [];
  if (artifacts.length > 0) {
    lines.push('| Artifact | Size | SHA-256 |', '| --- | --- | --- |');
    for (const a of artifacts) lines.push(`| ${code(a.path)} | ${formatBytes(a.size)} | ${code(a.sha256)} |`);
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

export function isoReport(result: IsoResultShape): GithubReport {
  return { outputs: isoOutputs(result), summary: isoSummary(result) };
}

/** What goes into which file: nothing outside GitHub Actions, nor for a file the runner did not name. */
export function githubAppends(env: Record<string, string | undefined>, report: GithubReport, delimiter: string): { path: string; text: string }[] {
  if (!isGithubActions(env)) return [];
  const appends: { path: string; text: string }[] = [];
  if (env.GITHUB_OUTPUT) appends.push({ path: env.GITHUB_OUTPUT, text: formatOutputs(report.outputs, delimiter) });
  if (env.GITHUB_STEP_SUMMARY && report.summary) appends.push({ path: env.GITHUB_STEP_SUMMARY, text: report.summary });
  return appends;
}
