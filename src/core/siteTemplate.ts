/**
 * Site user-data templates: `${site:FIELD}` and `${env:NAME}` placeholders in
 * YAML scalars, `$${` for a literal `${`.
 *
 * Substitution happens per scalar, not per character: every scalar holding a
 * placeholder is replaced in the template text by a double-quoted scalar of
 * its expanded value. So whatever a value holds (': ', '#', quotes, '007',
 * 'yes', 'null', line breaks) it stays one string with exactly that text,
 * while everything else in the template (comments, order, style) is kept byte
 * for byte. Placeholders in comments are left alone. Pure.
 */
import { isScalar, visit } from 'yaml';
import type { Scalar } from 'yaml';
import { InputError, inputErrorAt } from '../errors.js';
import type { Place } from '../errors.js';
import { MissingValueError, UnknownPlaceholderError, expand, redact } from './placeholders.js';
import { parseUserData } from './userData.js';

interface Target {
  start: number;
  end: number;
  /** The scalar's value as parsed (quotes and escapes resolved), with placeholders. */
  value: string;
  /** Line breaks the block scalar's range swallowed; kept after the replacement. */
  trailing: string;
  /** A tag in the template (`!!int ${site:vlan}`) decides the type itself. */
  tagged: boolean;
  place: Place;
}

export interface SiteTemplate {
  file: string;
  source: string;
  targets: Target[];
  /** `${site:FIELD}` names the template uses. */
  fields: Set<string>;
  /** `${env:NAME}` names the template uses. */
  envNames: Set<string>;
}

export interface RenderedSite {
  text: string;
  /** Environment values in the text: never print them. */
  secrets: string[];
}

/** What a site's row and the environment offer, and where to point errors. */
export interface SiteInput {
  name: string;
  place: Place;
  row: number;
  value(field: string): string | undefined;
  env: Record<string, string | undefined>;
}

const TEMPLATE_FIX = 'use ${site:FIELD} for a column of the sites file, ${env:NAME} for an environment variable, or $${ for a literal "${"';

/**
 * A JSON string is a YAML double-quoted scalar, except for the few characters
 * YAML does not allow unescaped (DEL, C1 controls, BOM, line/paragraph separators).
 */
export function yamlQuote(value: string): string {
  return JSON.stringify(value).replace(/[\u007f-\u009f\u2028\u2029\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function compileTemplate(source: string, file: string): SiteTemplate {
  let parsed;
  try {
    parsed = parseUserData(source, file);
  } catch (error) {
    // `key: {a: ${site:x}}` fails to parse: in a flow map, '{' and '}' end the scalar.
    if (error instanceof InputError && error.code === 'user-data-yaml') {
      const line = error.details.line as number | undefined;
      if (line !== undefined && (source.split('\n')[line - 1] ?? '').includes('${')) {
        throw new InputError(error.message, { code: error.code, details: error.details, fix: 'quote placeholders inside [ ] or { }: "${site:FIELD}"' });
      }
    }
    throw error;
  }
  const { doc, lines } = parsed;
  const targets: Target[] = [];
  const fields = new Set<string>();
  const envNames = new Set<string>();
  visit(doc, {
    Scalar(_key, node: Scalar) {
      if (typeof node.value !== 'string' || !node.value.includes('${') || !node.range) return;
      const [start, end] = node.range;
      const place = { file, ...lines.linePos(start) };
      try {
        // Resolve every name to '' once, to find typos and collect the names used.
        const probe = expand(node.value, { site: () => '', env: () => '' });
        for (const use of probe.used) (use.namespace === 'site' ? fields : envNames).add(use.name);
      } catch (error) {
        if (error instanceof UnknownPlaceholderError) {
          throw inputErrorAt(place, `unknown placeholder ${error.placeholder}`, { code: 'template-placeholder', fix: TEMPLATE_FIX });
        }
        throw error;
      }
      const raw = source.slice(start, end);
      targets.push({ start, end, value: node.value, trailing: /(\r?\n)*$/.exec(raw)![0], tagged: node.tag !== undefined, place });
    },
  });
  targets.sort((a, b) => a.start - b.start);
  return { file, source, targets, fields, envNames };
}

/** The site fields substituted on a line of the rendered text, to name them in errors. */
function fieldsOnLine(text: string, placed: { start: number; fields: string[] }[], line: number | undefined): string[] {
  if (line === undefined) return [];
  const found = new Set<string>();
  for (const p of placed) {
    let n = 1;
    for (let i = text.indexOf('\n'); i !== -1 && i < p.start; i = text.indexOf('\n', i + 1)) n++;
    if (n === line) p.fields.forEach((f) => found.add(f));
  }
  return [...found];
}

function siteError(site: SiteInput, message: string, code: string, fix: string, details: Record<string, unknown> = {}): InputError {
  return inputErrorAt(site.place, `site ${JSON.stringify(site.name)} (row ${site.row}): ${message}`, { code, fix, details: { site: site.name, row: site.row, ...details } });
}

/** Renders and validates one site's user-data. Throws InputError naming the site, its row and line. */
export function renderSite(template: SiteTemplate, site: SiteInput): RenderedSite {
  const secrets: string[] = [];
  const parts: string[] = [];
  const expected: { start: number; value: string }[] = [];
  const placed: { start: number; fields: string[] }[] = [];
  let cursor = 0;
  let length = 0;
  for (const target of template.targets) {
    let value: string;
    try {
      const result = expand(target.value, { site: (f) => site.value(f), env: (n) => site.env[n] });
      value = result.text;
      secrets.push(...result.secrets);
      placed.push({ start: length + template.source.slice(cursor, target.start).length, fields: result.used.filter((u) => u.namespace === 'site').map((u) => u.name) });
    } catch (error) {
      if (error instanceof MissingValueError) {
        const at = `${target.place.file}:${target.place.line}`;
        if (error.namespace === 'env') {
          throw siteError(site, `environment variable ${error.key} is not set (used at ${at})`, 'user-data-env', `export ${error.key}=... (in CI: pass it from a secret)`, { variable: error.key });
        }
        throw siteError(site, `no value for \${site:${error.key}} (used at ${at})`, 'site-missing-value', `fill in the "${error.key}" column for this site`, { field: error.key });
      }
      throw error;
    }
    const before = template.source.slice(cursor, target.start);
    parts.push(before);
    length += before.length;
    if (!target.tagged) expected.push({ start: length, value });
    const quoted = yamlQuote(value) + target.trailing;
    parts.push(quoted);
    length += quoted.length;
    cursor = target.end;
  }
  parts.push(template.source.slice(cursor));
  const text = parts.join('');

  let parsed;
  try {
    parsed = parseUserData(text, `${template.file} (as rendered)`);
  } catch (error) {
    if (error instanceof InputError) {
      const fields = fieldsOnLine(text, placed, error.details.line as number | undefined);
      const which = fields.length > 0 ? ` (field ${fields.join(', ')})` : '';
      throw siteError(site, `the rendered user-data is invalid${which}: ${redact(error.message, secrets)}`, 'site-user-data', error.fix ?? 'check the values this site puts into the template', fields.length > 0 ? { field: fields[0], fields } : {});
    }
    throw error;
  }
  // Belt and braces: every substituted scalar must read back as exactly its value.
  const byStart = new Map(expected.map((e) => [e.start, e.value]));
  visit(parsed.doc, {
    Scalar(_key, node) {
      const start = node.range?.[0];
      if (start === undefined || !byStart.has(start)) return;
      if (!isScalar(node) || node.value !== byStart.get(start)) throw new Error(`internal: a substituted value did not read back unchanged at offset ${start}`);
      byStart.delete(start);
    },
  });
  if (byStart.size > 0) throw new Error('internal: a substituted value is missing from the rendered document');
  return { text, secrets };
}
