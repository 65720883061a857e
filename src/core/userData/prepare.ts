/**
 * The user-data cloud-config: validation, `${env:NAME}` secrets, and turning
 * the Palette agent's image redirect webhook off. Pure: text in, text out.
 */
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseAllDocuments, visit } from 'yaml';
import type { Document, Node, Scalar } from 'yaml';
import { inputErrorAt } from '../../errors.js';
import { sha256 } from '../digest.js';
import { MissingValueError, UnknownPlaceholderError, expand } from '../placeholders.js';
import { YamlEditConflict, applyEdits, quoteScalarEdit, setScalarIn, type Edit } from './yamlEdit.js';
import { ANY, sameData, setPath, unshared, yaml11Data, yaml11Document } from './meaning.js';
import { yamlSyntaxError } from '../yamlSchema.js';

export const WEBHOOK_PATH = ['stylus', 'imageRedirectWebhook', 'enable'] as const;

export interface ParsedUserData {
  doc: Document.Parsed;
  lines: LineCounter;
}

export interface PreparedUserData {
  /** The final user-data written into the checkout (may contain secrets). */
  text: string;
  sha256: string;
  /** sha256 of the user's file as read (UTF-8 text, so the same as its bytes'). */
  sourceSha256: string;
  /** false unless the webhook was kept on purpose. */
  imageRedirectWebhook: boolean;
  warnings: string[];
  /** Values substituted from the environment: never print them. */
  secrets: string[];
}

export interface PrepareOptions {
  keepWebhook?: boolean;
  env: Record<string, string | undefined>;
}

const FIX_HEADER = 'make "#cloud-config" the first line of the file';

function placeOf(file: string, lines: LineCounter, offset: number | undefined): { file: string; line?: number; col?: number } {
  if (offset === undefined) return { file };
  const { line, col } = lines.linePos(offset);
  return { file, line, col };
}

/** The node an alias stands for; any other node itself. */
function resolved(doc: Document, node: Node | undefined): Node | undefined {
  return isAlias(node) ? (node.resolve(doc) as Node | undefined) : node;
}

/**
 * Validates a user-data file: `#cloud-config` header, exactly one YAML
 * document with a mapping at its root, `stylus` and
 * `stylus.imageRedirectWebhook` mappings where present, no duplicate keys.
 */
export function parseUserData(source: string, file: string): ParsedUserData {
  const firstLine = source.split('\n', 1)[0]!.replace(/\r$/, '');
  if (firstLine.startsWith('\uFEFF')) {
    throw inputErrorAt({ file, line: 1, col: 1 }, 'the file starts with a byte order mark', { code: 'user-data-header', fix: 'save the file as UTF-8 without BOM' });
  }
  if (firstLine.trimEnd() !== '#cloud-config') {
    throw inputErrorAt({ file, line: 1, col: 1 }, `first line is ${JSON.stringify(firstLine.slice(0, 40))}, not "#cloud-config"`, { code: 'user-data-header', fix: FIX_HEADER });
  }
  const lines = new LineCounter();
  const docs = parseAllDocuments(source, { lineCounter: lines, uniqueKeys: true, keepSourceTokens: true });
  if (!Array.isArray(docs) || docs.length === 0) {
    throw inputErrorAt({ file, line: 1 }, 'the file holds no YAML document', { code: 'user-data-empty', fix: 'add the stylus: settings below the #cloud-config line' });
  }
  if (docs.length > 1) {
    const second = docs[1]!;
    throw inputErrorAt(placeOf(file, lines, second.range[0]), `the file holds ${docs.length} YAML documents, not one`, {
      code: 'user-data-documents',
      fix: 'remove the "---" separator and merge the documents into one mapping',
    });
  }
  const doc = docs[0]!;
  const error = doc.errors[0];
  if (error) throw yamlSyntaxError(error, file, lines, 'user-data');
  try {
    // Aliases are kept as written, but the reader on the edge host expands
    // them: refuse an alias bomb here rather than hand it to cloud-init.
    doc.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    throw inputErrorAt({ file, line: 1 }, `invalid YAML: ${(error as Error).message}`, { code: 'user-data-yaml', fix: 'write the values out instead of nesting aliases' });
  }
  if (!isMap(doc.contents)) {
    const offset = doc.contents?.range[0];
    throw inputErrorAt(placeOf(file, lines, offset), 'the document root is not a mapping', { code: 'user-data-root', fix: 'write the settings as "key: value" pairs, starting with stylus:' });
  }
  for (const path of [['stylus'], ['stylus', 'imageRedirectWebhook']]) {
    const node = resolved(doc, doc.getIn(path, true) as Node | undefined);
    if (node === undefined || isMap(node) || (isScalar(node) && node.value === null)) continue;
    throw inputErrorAt(placeOf(file, lines, node.range?.[0]), `${path.join('.')} is a ${isSeq(node) ? 'list' : 'scalar'}, not a mapping`, {
      code: 'user-data-shape',
      fix: `write ${path.join('.')} as a mapping of keys, e.g. "${path.at(-1)}:" followed by indented "key: value" lines`,
    });
  }
  const enable = resolved(doc, doc.getIn(WEBHOOK_PATH, true) as Node | undefined);
  if (enable !== undefined && !isScalar(enable)) {
    throw inputErrorAt(placeOf(file, lines, enable.range?.[0]), 'stylus.imageRedirectWebhook.enable is not a scalar', {
      code: 'user-data-shape',
      fix: 'set it to true or false',
    });
  }
  return { doc, lines };
}

/** Whether the scalar already is the boolean false for every reader: plain `false`, untagged. */
function saysFalse(node: Scalar): boolean {
  return node.type === 'PLAIN' && node.tag === undefined && node.value === false;
}

/** The edits that make stylus.imageRedirectWebhook.enable the boolean false (none when it is). */
export function disableWebhookEdits(parsed: ParsedUserData, source: string, file: string): Edit[] {
  try {
    return setScalarIn({ doc: parsed.doc, source, lines: parsed.lines }, WEBHOOK_PATH, 'false', saysFalse);
  } catch (error) {
    if (!(error instanceof YamlEditConflict)) throw error;
    throw inputErrorAt(placeOf(file, parsed.lines, error.offset), error.message, { code: 'user-data-alias', fix: error.fix });
  }
}

/**
 * Whether the webhook stays on, as the edge host reads the text (YAML 1.1,
 * through aliases and merge keys); the agent's default is on. Unreadable text counts as on.
 */
export function webhookEnabled(text: string): boolean {
  const doc = yaml11Document(text);
  let value = yaml11Data(doc);
  for (const key of WEBHOOK_PATH) value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return doc === undefined || !(value === false || value === 'false');
}

interface Substitution {
  node: Scalar;
  value: string;
}

/** `${env:NAME}` in values (not keys): each such scalar and the text it becomes. */
function substituteEnv(doc: Document, file: string, lines: LineCounter, env: PrepareOptions['env']): { substitutions: Substitution[]; secrets: string[] } {
  const secrets: string[] = [];
  const substitutions: Substitution[] = [];
  const walk = (node: unknown): void => {
    if (isMap(node) || isSeq(node)) {
      for (const item of node.items) {
        if (isMap(node)) walk((item as { value: unknown }).value);
        else walk(item);
      }
      return;
    }
    if (!isScalar(node) || typeof node.value !== 'string' || !node.value.includes('${')) return;
    try {
      const result = expand(node.value, { env: (name) => env[name] });
      if (result.text !== node.value) substitutions.push({ node, value: result.text });
      secrets.push(...result.secrets);
    } catch (error) {
      const place = placeOf(file, lines, node.range?.[0]);
      if (error instanceof MissingValueError) {
        throw inputErrorAt(place, `environment variable ${error.key} is not set`, {
          code: 'user-data-env',
          fix: `export ${error.key}=... (in CI: pass it from a secret), or remove \${env:${error.key}}`,
          details: { variable: error.key },
        });
      }
      if (error instanceof UnknownPlaceholderError) {
        throw inputErrorAt(place, `unknown placeholder ${error.placeholder}`, {
          code: 'user-data-placeholder',
          fix: 'use ${env:NAME} for an environment variable, or $${ for a literal "${"',
        });
      }
      throw error;
    }
  };
  walk(doc.contents);
  return { substitutions, secrets };
}

/**
 * The output must mean, to a YAML 1.1 reader, exactly the input with the
 * substituted values as strings and (unless kept) the webhook off. The edits
 * are made to keep it so; this catches a construct they did not foresee.
 */
function checkMeaning(source: string, text: string, substitutions: Substitution[], webhookOff: boolean): boolean {
  const input = yaml11Document(source);
  if (!input) return true; // nothing to compare with: the edge host could not read the input either
  const byOffset = new Map(substitutions.map((s) => [s.node.range![0], s]));
  visit(input, {
    Scalar(_key, node) {
      const s = node.range ? byOffset.get(node.range[0]) : undefined;
      if (s) node.value = s.node.tag === undefined ? s.value : ANY;
    },
  });
  const expected = unshared(yaml11Data(input)) as Record<string, unknown> | undefined;
  if (expected === undefined) return true;
  if (webhookOff) setPath(expected, WEBHOOK_PATH, false);
  return sameData(expected, yaml11Data(yaml11Document(text)));
}

const PLACEHOLDER_VALUE = /^(x{4,}.*|<[^>]*>|changeme|change-me|your[-_ ]?\w*|todo|\.\.\.)$/i;

function registrationWarnings(doc: Document, file: string): string[] {
  const warnings: string[] = [];
  const site = doc.getIn(['stylus', 'site']);
  if (!isMap(site) || site.get('paletteEndpoint') === undefined || site.get('paletteEndpoint') === null) {
    warnings.push(`${file}: stylus.site.paletteEndpoint is not set; the edge host will not know which Palette to register with`);
  }
  if (isMap(site)) {
    for (const pair of site.items) {
      const value = isScalar(pair.value) ? pair.value.value : undefined;
      if (typeof value === 'string' && PLACEHOLDER_VALUE.test(value.trim())) {
        warnings.push(`${file}: stylus.site.${String((pair.key as Scalar).value)} looks like a placeholder (${JSON.stringify(value.slice(0, 12))}); replace it or use \${env:NAME}`);
      }
    }
  }
  return warnings;
}

/**
 * Everything between the user's file and the checkout's `user-data`:
 * validate, disable the webhook (unless kept), substitute secrets. The text
 * is edited, never re-serialised: the output is the input byte for byte but
 * for the `enable: false` edit and each substituted scalar, now a
 * double-quoted string. Output that already went through here comes out unchanged.
 */
export function prepareUserData(source: string, file: string, options: PrepareOptions): PreparedUserData {
  const parsed = parseUserData(source, file);
  const { doc, lines } = parsed;
  const hookEdits = options.keepWebhook ? [] : disableWebhookEdits(parsed, source, file);
  const warnings = registrationWarnings(doc, file);
  const { substitutions, secrets } = substituteEnv(doc, file, lines, options.env);
  // `enable: ${env:X}` is overwritten by `false`: no substitution inside it.
  const envEdits = substitutions
    .map((s) => quoteScalarEdit(source, s.node, s.value))
    .filter((e) => !hookEdits.some((h) => h.start < e.end && e.start < h.end));
  const edits = [...hookEdits, ...envEdits];
  const text = applyEdits(source, edits);
  if (!checkMeaning(source, text, substitutions, !options.keepWebhook)) {
    const first = Math.min(...edits.map((e) => e.start));
    throw inputErrorAt(placeOf(file, lines, first), 'edgebuild cannot edit the file here without changing another value as the edge host reads it', {
      code: 'user-data-edit',
      fix: 'set stylus.imageRedirectWebhook.enable: false in the file yourself, and quote the values around ${env:...} placeholders',
    });
  }
  return {
    text,
    sha256: sha256(text),
    sourceSha256: sha256(source),
    imageRedirectWebhook: options.keepWebhook ? webhookEnabled(source) : false,
    warnings,
    secrets,
  };
}
