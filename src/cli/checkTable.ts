/**
 * Preflight checks as a table for humans: check, required, found, status,
 * how to fix — then, for every check that did not pass, what was wrong in
 * full (the engine's own error text, the filesystems short of space).
 */
import type { Check } from '../core/preflight/checks.js';

const HEADERS = ['check', 'required', 'found', 'status', 'how to fix'] as const;

export function formatChecks(checks: readonly Check[]): string {
  const rows = checks.map((c) => [c.id, c.required, c.found, c.status.toUpperCase(), c.status === 'pass' ? '' : (c.fix ?? '')]);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const notes = checks.filter((c) => c.status !== 'pass').map((c) => `${c.id}: ${c.message}`);
  return [line(HEADERS), ...rows.map(line), ...(notes.length ? ['', ...notes] : [])].join('\n');
}
