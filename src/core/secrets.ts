/**
 * Secrets in values edgebuild shows: URL credentials (core/urlCredentials.ts)
 * and values that came from the environment, and every form in which such a
 * value can reach a log, a JSON document or a terminal. Pure.
 */
import { stringify } from 'yaml';
import { maskUrlCredentials } from './urlCredentials.js';

/**
 * Lines of a multi-line secret shorter than this are not masked on their own:
 * masking every `a` or `}` of a build log would hide the log, not the secret.
 */
export const MIN_LINE_LENGTH = 4;

/** The inside of a JSON string holding `text`. */
function jsonForm(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

/** The inside of a YAML double-quoted scalar, as the `yaml` package writes it (never folded). */
function yamlDoubleQuotedForm(text: string): string {
  return stringify(text, { defaultStringType: 'QUOTE_DOUBLE', blockQuote: false, lineWidth: 0 }).trimEnd().slice(1, -1);
}

/** The inside of a YAML single-quoted scalar (`'` doubled). */
function yamlSingleQuotedForm(text: string): string {
  return text.replace(/'/g, "''");
}

const ANSI_C: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\x1b': '\\E', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '\\': '\\\\', "'": "\\'" };

/**
 * What bash's `printf %q` (and `set -x`, `declare -p`) prints for `text`:
 * `$'…'` when it holds a control character, else backslashes before the
 * characters the shell would interpret (bash 5.2, sh_backslash_quote).
 */
export function shellQuotedForm(text: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(text)) {
    // eslint-disable-next-line no-control-regex
    return `$'${text.replace(/[\x00-\x1f\x7f\\']/g, (c) => ANSI_C[c] ?? `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`)}'`;
  }
  return text.replace(/[ \t'"\\|&;()<>!{}*[\]?^$`,]|^[~#]/g, '\\$&');
}

/** Every way `text` can appear in output: as it is, JSON-escaped (also twice), YAML-quoted, shell-quoted. */
function escapedForms(text: string): string[] {
  const json = jsonForm(text);
  return [text, json, jsonForm(json), yamlDoubleQuotedForm(text), yamlSingleQuotedForm(text), shellQuotedForm(text)];
}

/**
 * The strings to mask for these secrets, longest first (so a secret holding
 * another is hidden whole). A multi-line secret is also masked line by line —
 * a build tool echoing it shows its lines on separate lines of output, and a
 * log is split into lines — each line in every escaped form too.
 */
export function secretPatterns(secrets: readonly string[]): string[] {
  const patterns = new Set<string>();
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    for (const form of escapedForms(secret)) patterns.add(form);
    if (!/[\r\n]/.test(secret)) continue;
    for (const line of secret.split(/\r?\n|\r/)) {
      const trimmed = line.trim();
      if (trimmed.length >= MIN_LINE_LENGTH) for (const form of escapedForms(trimmed)) patterns.add(form);
    }
  }
  return [...patterns].filter((p) => p.length > 0).sort((a, b) => b.length - a.length);
}

/** Replaces every pattern (see secretPatterns) with `***`. */
export function maskPatterns(text: string, patterns: readonly string[]): string {
  let out = text;
  for (const pattern of patterns) if (out.includes(pattern)) out = out.split(pattern).join('***');
  return out;
}

/** Replaces every secret, in each of its forms and line by line, with `***`. */
export function redact(text: string, secrets: readonly string[]): string {
  return secrets.length === 0 ? text : maskPatterns(text, secretPatterns(secrets));
}

/** A value safe to print: known secrets replaced, URL credentials masked. */
export function cleanValue(value: string, secrets: readonly string[]): string {
  return maskUrlCredentials(redact(value, secrets));
}
