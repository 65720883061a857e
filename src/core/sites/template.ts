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
import { CST, Lexer, isPair, isScalar, visit } from 'yaml';
import type { Node, Scalar } from 'yaml';
import { InputError, inputErrorAt } from '../../errors.js';
import type { Place } from '../../errors.js';
import { MissingValueError, UnknownPlaceholderError, expand, hasPlaceholder, redact } from '../placeholders.js';
import { parseUserData } from '../userData/prepare.js';
import { scalarSlot, spliceEdits, yamlQuote, type Edit } from '../userData/yamlEdit.js';
import type { ParsedUserData } from '../userData/prepare.js';

interface Target {
  start: number;
  end: number;
  /** The scalar's value as parsed (quotes and escapes resolved), with placeholders. */
  value: string;
  /** What follows the quoted value: a block scalar's header comment and the line breaks its range swallowed. */
  suffix: string;
  /** A tag in the template (`!!int ${site:vlan}`) decides the type itself. */
  tagged: boolean;
  /** A `|` block: substituted in place when the values allow, to stay readable. */
  literal: boolean;
  /**
   * A value (not in a key), untagged, unanchored flow scalar (plain or quoted): whatever
   * the row holds, its replacement is one double-quoted scalar on one line in the same
   * place, so only that scalar's reading can differ from the template's (see renderSite).
   */
  quick: boolean;
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
  /** How the text was read back: the substituted scalars alone, or the whole document. */
  check: 'scalars' | 'document';
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

/** Whether expanding the value changes it: a placeholder or the `$${` escape. */
function changesOnExpand(value: string): boolean {
  return hasPlaceholder(value) || value.includes('$${');
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
    Scalar(_key, node: Scalar, path) {
      if (typeof node.value !== 'string' || !node.value.includes('${') || !node.range) return;
      const start = node.range[0];
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
      // `echo ${HOME}` holds no placeholder: leave it exactly as written.
      if (!changesOnExpand(node.value)) return;
      const flow = node.type === 'PLAIN' || node.type === 'QUOTE_SINGLE' || node.type === 'QUOTE_DOUBLE';
      const quick = flow && node.tag === undefined && !inKeyOrAnchored(node, path);
      targets.push({ ...scalarSlot(source, node), value: node.value, tagged: node.tag !== undefined, literal: node.type === 'BLOCK_LITERAL' && node.tag === undefined, quick, place });
    },
  });
  targets.sort((a, b) => a.start - b.start);
  return { file, source, targets, fields, envNames };
}

/**
 * Whether the node is (inside) a mapping key, or it or a collection around it carries an
 * anchor: a key's text decides duplicate keys and the 1024-character limit of implicit
 * keys, and an anchored node can come back as a key through an alias.
 */
function inKeyOrAnchored(node: Scalar, path: readonly unknown[]): boolean {
  if (node.anchor !== undefined) return true;
  return path.some((step, i) => {
    if (isPair(step)) return step.key === (path[i + 1] ?? node);
    return (step as Partial<Node>).anchor !== undefined;
  });
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

interface Expanded {
  value: string;
  /** The block literal's source with placeholders expanded in place, when that keeps its meaning. */
  inPlace?: string;
  fields: string[];
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what it looks for
const UNPRINTABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff]/;

function expandTargets(template: SiteTemplate, site: SiteInput, secrets: string[]): Expanded[] {
  const resolvers = { site: (f: string) => site.value(f), env: (n: string) => site.env[n] };
  return template.targets.map((target) => {
    try {
      const result = expand(target.value, resolvers);
      secrets.push(...result.secrets);
      const expanded: Expanded = { value: result.text, fields: result.used.filter((u) => u.namespace === 'site').map((u) => u.name) };
      if (target.literal) {
        // A literal block has no escapes: its source text is its value, indented. Values
        // without line breaks can go in as they are; the read-back below checks the rest.
        const raw = template.source.slice(target.start, target.end);
        const cut = raw.indexOf('\n') + 1;
        const body = expand(raw.slice(cut), resolvers).text;
        if (body.split('\n').length === raw.slice(cut).split('\n').length && !UNPRINTABLE.test(body.replace(/\r?\n/g, ''))) expanded.inPlace = raw.slice(0, cut) + body;
      }
      return expanded;
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
  });
}

interface Spliced {
  text: string;
  /** Offsets in `text` of untagged substituted scalars, with the value each must read back as. */
  expected: Map<number, string>;
  placed: { start: number; end: number; fields: string[] }[];
}

function splice(template: SiteTemplate, expanded: Expanded[], keepLiterals: boolean): Spliced {
  const edits: Edit[] = template.targets.map((target, i) => {
    const e = expanded[i]!;
    return { start: target.start, end: target.end, text: keepLiterals && e.inPlace !== undefined ? e.inPlace : yamlQuote(e.value) + target.suffix };
  });
  const { text, starts } = spliceEdits(template.source, edits);
  const expected = new Map<number, string>();
  template.targets.forEach((target, i) => {
    if (!target.tagged) expected.set(starts[i]!, expanded[i]!.value);
  });
  return { text, expected, placed: expanded.map((e, i) => ({ start: starts[i]!, end: starts[i]! + edits[i]!.text.length, fields: e.fields })) };
}

/**
 * Whether `quoted`, read by the YAML parser on its own, is one double-quoted scalar on one
 * line, ending where the text ends, that holds exactly `value`. Self-delimited like that,
 * it reads the same wherever a flow scalar stood. The parser's own two stages do the
 * reading: its lexer must find the text to be one closed token (a lone flow scalar becomes a
 * document of just that token, nothing else to parse), and its flow scalar resolver,
 * strict, must read that token as `value`, with no error. (Exported for its unit test.)
 */
export function readsBackAlone(quoted: string, value: string): boolean {
  if (/[\r\n]/.test(quoted) || !quoted.startsWith('"')) return false;
  // Followed by a space, which a closed scalar leaves as a token of its own: an unclosed one
  // ("a\") would run on into it.
  const expected = [DOCUMENT_START, quoted, ' '];
  let lexemes = 0;
  for (const lexeme of new Lexer().lex(`${quoted} `)) if (lexeme !== expected[lexemes++]) return false;
  if (lexemes !== expected.length) return false;
  let clean = true;
  const read = CST.resolveAsScalar({ type: 'double-quoted-scalar', offset: 0, indent: 0, source: quoted, end: [] }, true, () => {
    clean = false;
  });
  return clean && read?.type === 'QUOTE_DOUBLE' && read.value === value;
}

/** The lexeme the YAML lexer starts a document's content with (yaml's CST.DOCUMENT). */
const DOCUMENT_START = CST.DOCUMENT;

/** Every substituted scalar must read back as exactly its value; returns the first that does not. */
function misread(doc: ParsedUserData['doc'], expected: Map<number, string>): number | undefined {
  const left = new Map(expected);
  let wrong: number | undefined;
  visit(doc, {
    Scalar(_key, node) {
      const start = node.range?.[0];
      if (start === undefined || !left.has(start)) return;
      if (!isScalar(node) || node.value !== left.get(start)) wrong ??= start;
      left.delete(start);
    },
  });
  return wrong ?? left.keys().next().value;
}

/** Renders and validates one site's user-data. Throws InputError naming the site, its row and line. */
export function renderSite(template: SiteTemplate, site: SiteInput): RenderedSite {
  const secrets: string[] = [];
  const expanded = expandTargets(template, site, secrets);
  const label = `${template.file} (as rendered)`;
  if (expanded.some((e) => e.inPlace !== undefined)) {
    // Scripts in `|` blocks stay readable when their values allow; otherwise quote them.
    const attempt = splice(template, expanded, true);
    try {
      if (misread(parseUserData(attempt.text, label).doc, attempt.expected) === undefined) return { text: attempt.text, secrets, check: 'document' };
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
    }
  }
  const { text, expected, placed } = splice(template, expanded, false);
  // The template parsed as valid user-data; when every substitution is a quick one, the
  // rendered text is that document with those flow scalars, and nothing else, replaced
  // by one-line double-quoted scalars: only their reading can differ, so the parser
  // reads just those (the whole document is read back when any one is not as expected).
  if (template.targets.every((t) => t.quick) && placed.every((p, i) => readsBackAlone(text.slice(p.start, p.end), expanded[i]!.value))) return { text, secrets, check: 'scalars' };
  let parsed;
  try {
    parsed = parseUserData(text, label);
  } catch (error) {
    if (error instanceof InputError) {
      const fields = fieldsOnLine(text, placed, error.details.line as number | undefined);
      const which = fields.length > 0 ? ` (field ${fields.join(', ')})` : '';
      throw siteError(site, `the rendered user-data is invalid${which}: ${redact(error.message, secrets)}`, 'site-user-data', error.fix ?? 'check the values this site puts into the template', fields.length > 0 ? { field: fields[0], fields } : {});
    }
    throw error;
  }
  const wrong = misread(parsed.doc, expected);
  if (wrong !== undefined) throw new Error(`internal: a substituted value did not read back unchanged at offset ${wrong}`);
  return { text, secrets, check: 'document' };
}
