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
