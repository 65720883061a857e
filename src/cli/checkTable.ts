/**
 * Preflight checks as a table for humans: check, required, found, status,
 * how to fix — then, for every check that did not pass, what was wrong in
 * full (the engine's own error text, the filesystems short of space).
 */
import type { Check } from '../core/preflight/checks.js';

const HEADERS = ['check', 'required', 'found', 'status', 'how to fix'] as const;

/** `text` in lines of at most `width` characters (words longer than that stay whole), each after `indent`. */
export function wrap(text: string, width: number, indent = ''): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines;
}

/** A table when it fits in `width` columns, else one block per check with its fields wrapped. */
export function formatChecks(checks: readonly Check[], width = Infinity): string {
  const rows = checks.map((c) => [c.id, c.required, c.found, c.status.toUpperCase(), c.status === 'pass' ? '' : (c.fix ?? '')]);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const table = [line(HEADERS), ...rows.map(line)];
  const fits = table.every((l) => l.length <= width);
  const blocks = checks.flatMap((c, i) => [
    `${c.id}  ${c.status.toUpperCase()}`,
    ...wrap(`required: ${c.required}`, width, '  '),
    ...wrap(`found: ${c.found}`, width, '  '),
    ...(rows[i]![4] ? wrap(`how to fix: ${rows[i]![4]}`, width, '  ') : []),
  ]);
  const notes = checks.filter((c) => c.status !== 'pass').flatMap((c) => (fits ? [`${c.id}: ${c.message}`] : wrap(`${c.id}: ${c.message}`, width)));
  return [...(fits ? table : blocks), ...(notes.length ? ['', ...notes] : [])].join('\n');
}
