/**
 * GitHub Actions workflow commands for the build log: a folded group, and
 * failures as `::error::` annotations. Pure: returns the text to write.
 */

/** Escapes a message (the part after `::`) as the runner expects. */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escapes a property value (`title=...`). */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export function errorAnnotation(message: string, title = 'edgebuild'): string {
  return `::error title=${escapeProperty(title)}::${escapeData(message)}\n`;
}

/**
 * Opens a folded group whose content the runner does not interpret: build
 * output could otherwise contain `::set-output` or `::add-mask` lines.
 * `token` must be unguessable by the build (random per run).
 */
export function openGroup(title: string, token: string): string {
  return `::group::${escapeData(title)}\n::stop-commands::${token}\n`;
}

export function closeGroup(token: string): string {
  return `::${token}::\n::endgroup::\n`;
}

/**
 * `text` (whole lines) between `::stop-commands::` and its token: the runner
 * takes none of its lines for a command, wherever `::` or `##[` stand in them.
 */
export function withoutCommands(text: string, token: string): string {
  return `::stop-commands::${token}\n${text.endsWith('\n') ? text : `${text}\n`}::${token}::\n`;
}

/**
 * JSON text whose lines the runner cannot take for commands, meaning the
 * same. The runner looks for `##[` anywhere in a line, and for `::` only at
 * its start: a line of JSON starts with a bracket, a quote or a literal,
 * never with `::`, so `##[` is the one sequence to break. It can stand only
 * inside a string, where `\u0023` is `#` and a `#` is never part of an escape.
 */
export function commandFreeJson(json: string): string {
  return json.replaceAll('##[', '\\u0023#[');
}
