/**
 * Edits to a user's YAML file made on its text, never by re-serialising the
 * document: the yaml package (YAML 1.2) would rewrite `0644`, `yes`, big
 * integers and flow maps into text the edge host's YAML 1.1 reader (Go's
 * gopkg.in/yaml.v2) reads differently. Every edit replaces a range of the
 * source found through the parsed nodes' ranges and source tokens; all other
 * bytes stay. Shared by user-data and site templates. Pure.
 */
import { isAlias, isMap, isScalar, isSeq, visit } from 'yaml';
import type { Alias, Document, LineCounter, Node, Pair, Scalar, YAMLMap } from 'yaml';

export interface Edit {
  start: number;
  end: number;
  text: string;
}

/**
 * The source with each edit's range replaced (edits must not overlap), and
 * where each edit's text starts in the result, in the order given.
 */
export function spliceEdits(source: string, edits: readonly Edit[]): { text: string; starts: number[] } {
  const order = edits.map((_, i) => i).sort((a, b) => edits[a]!.start - edits[b]!.start || edits[a]!.end - edits[b]!.end);
  const parts: string[] = [];
  const starts: number[] = new Array<number>(edits.length);
  let cursor = 0;
  let length = 0;
  for (const i of order) {
    const edit = edits[i]!;
    if (edit.start < cursor) throw new Error(`internal: overlapping YAML edits at offset ${edit.start}`);
    const before = source.slice(cursor, edit.start);
    parts.push(before, edit.text);
    length += before.length;
    starts[i] = length;
    length += edit.text.length;
    cursor = edit.end;
  }
  parts.push(source.slice(cursor));
  return { text: parts.join(''), starts };
}

export function applyEdits(source: string, edits: readonly Edit[]): string {
  return spliceEdits(source, edits).text;
}

/**
 * A double-quoted scalar holding exactly `value` for YAML 1.1 and 1.2 readers.
 * A JSON string is one (`\\`, `\"`, `\n`, `\uXXXX` are YAML escapes too), except
 * for the characters YAML does not allow unescaped: DEL, C1 controls, the BOM,
 * and U+2028/U+2029, which YAML 1.1 reads as line breaks.
 */
export function yamlQuote(value: string): string {
  return JSON.stringify(value).replace(/[\u007f-\u009f\u2028\u2029\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The line ending the file already uses: CRLF when its first line ends so. */
export function lineEnding(source: string): string {
  const lf = source.indexOf('\n');
  return lf > 0 && source[lf - 1] === '\r' ? '\r\n' : '\n';
}

/**
 * Where a scalar (plain, quoted or block, single- or multi-line) is replaced
 * by one double-quoted string: its value's range, and what follows the new
 * text. Tag and anchor stay (they sit before the range); the line breaks a
 * block scalar's range swallows stay after it, and so does its header comment.
 */
export function scalarSlot(source: string, node: Scalar): { start: number; end: number; suffix: string } {
  const [start, end] = node.range!;
  const block = node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED';
  const trailing = block ? /(\r?\n)*$/.exec(source.slice(start, end))![0] : '';
  const comment = block ? (node.srcToken as { props?: { type: string; source: string }[] } | undefined)?.props?.find((t) => t.type === 'comment') : undefined;
  return { start, end, suffix: (comment ? ` ${comment.source}` : '') + trailing };
}

/** The edit that makes `node` one double-quoted string holding exactly `value`. */
export function quoteScalarEdit(source: string, node: Scalar, value: string): Edit {
  const { start, end, suffix } = scalarSlot(source, node);
  return { start, end, text: yamlQuote(value) + suffix };
}

/** An edit that cannot be made without changing what another path means; the caller turns it into exit 2. */
export class YamlEditConflict extends Error {
  constructor(
    readonly offset: number,
    message: string,
    readonly fix: string,
  ) {
    super(message);
  }
}

interface Token {
  type: string;
  offset: number;
  source: string;
}

/** The anchor and tag tokens written before a pair's value (they sit outside the value's range). */
function valueProps(pair: Pair): Token[] {
  const sep = (pair.srcToken as { sep?: Token[] } | undefined)?.sep ?? [];
  return sep.filter((t) => t.type === 'anchor' || t.type === 'tag');
}

/** The aliases (`*a`, `<<: *a`) that refer to exactly this node. */
function aliasesOf(doc: Document, node: Node): Alias[] {
  if (!node.anchor) return [];
  const found: Alias[] = [];
  visit(doc, {
    Alias(_key, alias) {
      if (alias.resolve(doc) === node) found.push(alias);
    },
  });
  return found.sort((a, b) => a.range![0] - b.range![0]);
}

const isMergeKey = (pair: Pair): boolean => isScalar(pair.key) && pair.key.value === '<<' && pair.key.type === 'PLAIN';

/** The mappings a `<<` pair merges in. */
function mergedMaps(doc: Document, pair: Pair): YAMLMap[] {
  const deref = (n: unknown): unknown => (isAlias(n) ? n.resolve(doc) : n);
  const value = deref(pair.value);
  const items = isSeq(value) ? value.items.map(deref) : [value];
  return items.filter((m): m is YAMLMap => isMap(m));
}

/** Whether `map` supplies `key`, itself or through its own merge keys. */
function supplies(doc: Document, map: YAMLMap, key: string, seen = new Set<YAMLMap>()): boolean {
  if (seen.has(map)) return false;
  seen.add(map);
  return map.items.some((p) => (isMergeKey(p) ? mergedMaps(doc, p).some((m) => supplies(doc, m, key, seen)) : isScalar(p.key) && p.key.value === key));
}

export interface SetContext {
  doc: Document;
  source: string;
  lines: LineCounter;
}

function column(ctx: SetContext, offset: number): number {
  return ctx.lines.linePos(offset).col - 1;
}

function where(ctx: SetContext, offset: number): string {
  const { line, col } = ctx.lines.linePos(offset);
  return `${line}:${col}`;
}

/** How far the file indents a nested block mapping (the first one found; 2 if none). */
function indentStep(ctx: SetContext): number {
  let step: number | undefined;
  visit(ctx.doc, {
    Pair(_key, pair) {
      if (step !== undefined) return visit.BREAK;
      const value = pair.value as Node | null;
      if (isMap(value) && !value.flow && value.items.length > 0 && isScalar(pair.key) && value.items[0]!.key) {
        const diff = column(ctx, (value.items[0]!.key as Node).range![0]) - column(ctx, pair.key.range![0]);
        if (diff > 0) step = diff;
      }
      return undefined;
    },
  });
  return step ?? 2;
}

/** `a: {b: {c: false}}` for flow context. */
function flowValue(path: readonly string[], leaf: string): string {
  return path.reduceRight((inner, key) => `{${key}: ${inner}}`, leaf);
}

/** The block lines of `path: leaf` at `indent`, each preceded by the line ending. */
function blockLines(path: readonly string[], leaf: string, indent: number, step: number, eol: string): string {
  return path.map((key, i) => `${eol}${' '.repeat(indent + i * step)}${key}:${i === path.length - 1 ? ` ${leaf}` : ''}`).join('');
}

/** The end of the line holding `offset` (before its line ending). */
function endOfLine(source: string, offset: number): number {
  let end = source.indexOf('\n', offset);
  if (end === -1) end = source.length;
  return end > 0 && source[end - 1] === '\r' ? end - 1 : end;
}

/** Adds `path: leaf` (nested mappings as needed) as the last entry of `map`. */
function appendTo(ctx: SetContext, map: YAMLMap, path: readonly string[], leaf: string): Edit {
  const last = map.items.at(-1);
  const lastNode = (last?.value ?? last?.key) as Node | null | undefined;
  if (map.flow) {
    const entry = `${path[0]}: ${flowValue(path.slice(1), leaf)}`;
    if (!lastNode?.range) return { start: map.range![0] + 1, end: map.range![0] + 1, text: entry };
    return { start: lastNode.range[1], end: lastNode.range[1], text: `, ${entry}` };
  }
  const eol = lineEnding(ctx.source);
  const indent = column(ctx, (map.items[0]!.key as Node).range![0]);
  const lines = blockLines(path, leaf, indent, indentStep(ctx), eol);
  const end = lastNode!.range![1];
  // A block scalar's range ends after its line breaks (all of them when it keeps them):
  // the new lines go after those, so its value keeps every break it had.
  if (/\n$/.test(ctx.source.slice(0, end))) return { start: end, end, text: lines.slice(eol.length) + eol };
  if (endsInBlockScalar(lastNode!)) {
    // A block scalar at the end of a file without a final line break has none in its
    // value; a line after it would add one. The new entry goes before the last one.
    const key = (last!.key as Node).range![0];
    const lineStart = ctx.source.lastIndexOf('\n', key - 1) + 1;
    if (/^ *$/.test(ctx.source.slice(lineStart, key))) return { start: lineStart, end: lineStart, text: lines.slice(eol.length) + eol };
    throw new YamlEditConflict(end, `${path.join('.')} cannot be added after this block scalar at the end of the file`, 'end the file with a line break');
  }
  const at = endOfLine(ctx.source, end);
  return { start: at, end: at, text: lines };
}

/** Whether the last thing in `node` (itself, or its last entry's, recursively) is a block scalar. */
function endsInBlockScalar(node: Node): boolean {
  if (isScalar(node)) return node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED';
  if (isMap(node) || isSeq(node)) {
    const last = node.items.at(-1) as unknown;
    const inner = (isMap(node) ? ((last as Pair | undefined)?.value ?? (last as Pair | undefined)?.key) : last) as Node | null | undefined;
    return inner ? endsInBlockScalar(inner) : false;
  }
  return false;
}

/** Replaces a null value (`key:`, `key: ~`, `key: !!null`) by the mappings of `path: leaf`. */
function fillNull(ctx: SetContext, pair: Pair, node: Scalar, path: readonly string[], leaf: string, inFlow: boolean): Edit {
  const props = valueProps(pair);
  const [start, end] = node.range!;
  const tag = props.find((t) => t.type === 'tag');
  if (!inFlow && !tag && start === end) {
    const at = endOfLine(ctx.source, start);
    return { start: at, end: at, text: blockLines(path, leaf, column(ctx, (pair.key as Node).range![0]) + indentStep(ctx), indentStep(ctx), lineEnding(ctx.source)) };
  }
  // A written null (or a tag on it) becomes a flow mapping in its place; an anchor stays.
  const from = tag ? Math.min(tag.offset, start) : start;
  const anchor = props.find((t) => t.type === 'anchor');
  const keep = anchor && anchor.offset >= from ? `${anchor.source} ` : '';
  return { start: from, end, text: keep + flowValue(path, leaf) };
}

/**
 * Sets the value at `path` (mapping keys from the document's root) to the
 * plain scalar `leaf`, creating missing mappings in the file's own style.
 * `done` says whether an existing scalar already means `leaf` (then nothing
 * changes). Never changes a node another node aliases or merges: throws
 * YamlEditConflict with the place when only such an edit would do.
 */
export function setScalarIn(ctx: SetContext, path: readonly string[], leaf: string, done: (node: Scalar) => boolean): Edit[] {
  const found = candidates(ctx.doc, [ctx.doc.contents as Node], path);
  if (found.length > 0 && found.every((n) => isScalar(n) && done(n))) return [];
  const dotted = path.join('.');
  let map = ctx.doc.contents as YAMLMap;
  let inFlow = map.flow ?? false;
  for (let i = 0; i < path.length; i++) {
    const key = path[i]!;
    const here = path.slice(0, i + 1).join('.');
    const rest = path.slice(i + 1);
    const index = map.items.findIndex((p) => !isMergeKey(p) && isScalar(p.key) && p.key.value === key);
    const merges = map.items.map((p, at) => ({ p, at })).filter(({ p }) => isMergeKey(p) && mergedMaps(ctx.doc, p).some((m) => supplies(ctx.doc, m, key)));
    if (index === -1) {
      const merge = merges[0];
      if (merge && rest.length > 0) {
        throw new YamlEditConflict((merge.p.key as Node).range![0], `${here} comes from the merge key "<<" here; a new ${key}: for ${dotted} would hide the merged one and every key in it`, `write ${key}: into this mapping yourself (its merged keys and ${rest.join('.')}: ${leaf}), or set ${rest.join('.')}: ${leaf} in the merged mapping if all its users want it`);
      }
      // A key written after every "<<" wins over the merged one for every YAML reader.
      return [appendTo(ctx, map, path.slice(i), leaf)];
    }
    const pair = map.items[index]!;
    const keyOffset = (pair.key as Node).range![0];
    const later = merges.find(({ at }) => at > index);
    if (later) {
      throw new YamlEditConflict(keyOffset, `${here} is written before a merge key "<<" (${where(ctx, (later.p.key as Node).range![0])}) that also supplies it; YAML readers disagree on which one wins`, `move ${here}: below the "<<" line`);
    }
    const value = pair.value as Node | null;
    if (isAlias(value)) {
      if (rest.length === 0) return [{ start: value.range![0], end: value.range![1], text: leaf }];
      const target = value.resolve(ctx.doc) as Node | undefined;
      throw new YamlEditConflict(value.range![0], `${here} is an alias (*${value.source}) of the mapping at ${target?.range ? where(ctx, target.range[0]) : '?'}; setting ${dotted} would change that mapping too`, `write ${here} out as its own mapping here ("<<: *${value.source}" and ${rest.join('.')}: ${leaf} under it)`);
    }
    const aliases = value ? aliasesOf(ctx.doc, value) : [];
    if (!value || (rest.length > 0 ? !isMap(value) && !(isScalar(value) && value.value === null) : !isScalar(value))) {
      throw new YamlEditConflict(keyOffset, `${here} holds no ${rest.length > 0 ? 'mapping' : 'scalar'}`, `write ${dotted}: ${leaf} in the file yourself`);
    }
    if (rest.length === 0) {
      if (done(value as Scalar)) return [];
      return replaceLeaf(ctx, pair, value as Scalar, aliases, leaf, dotted);
    }
    if (aliases.length > 0) {
      throw new YamlEditConflict(keyOffset, `${here} carries the anchor &${value.anchor}, used at ${where(ctx, aliases[0]!.range![0])}; setting ${dotted} would change that place too`, `give the other place its own copy of the mapping, then run again`);
    }
    // A missing value (null) becomes the mappings.
    if (isScalar(value)) return [fillNull(ctx, pair, value, rest, leaf, inFlow)];
    map = value as YAMLMap;
    inFlow ||= map.flow ?? false;
  }
  return [];
}

/**
 * Every node `path` can lead to, through aliases and through explicit and
 * merged keys alike: when all of them already say it, whichever one a reader
 * picks, nothing needs to change.
 */
function candidates(doc: Document, from: Node[], path: readonly string[]): Node[] {
  const deref = (n: unknown): Node | undefined => ((isAlias(n) ? n.resolve(doc) : n) ?? undefined) as Node | undefined;
  let nodes = from;
  for (const key of path) {
    const next: Node[] = [];
    const collect = (map: YAMLMap, seen: Set<YAMLMap>): void => {
      if (seen.has(map)) return;
      seen.add(map);
      for (const p of map.items) {
        if (isMergeKey(p)) mergedMaps(doc, p).forEach((m) => collect(m, seen));
        else if (isScalar(p.key) && p.key.value === key) {
          const value = deref(p.value);
          if (value) next.push(value);
        }
      }
    };
    for (const n of nodes) {
      const map = deref(n);
      if (isMap(map)) collect(map, new Set());
    }
    nodes = next;
  }
  return nodes;
}

/** The last step: write `leaf` over the scalar, moving an aliased anchor to its first alias. */
function replaceLeaf(ctx: SetContext, pair: Pair, node: Scalar, aliases: Alias[], leaf: string, dotted: string): Edit[] {
  const props = valueProps(pair);
  const [start, end] = node.range!;
  const from = Math.min(start, ...props.map((t) => t.offset));
  if (aliases.length === 0) {
    const anchor = props.find((t) => t.type === 'anchor');
    return [{ start: from, end, text: anchor ? `${anchor.source} ${leaf}` : leaf }];
  }
  // `enable: &on true` ... `reboot: *on`: the first alias becomes `&on true`, the
  // later ones follow it, so every other path reads what it read before. Only a
  // one-line value can move; into a flow collection only without flow indicators.
  const first = aliases[0]!;
  const tag = props.find((t) => t.type === 'tag');
  const value = ctx.source.slice(start, end);
  const moved = `&${node.anchor} ${tag ? `${tag.source} ` : ''}${value}`;
  const inFlow = isInFlow(ctx.doc, first);
  if (/[\r\n]/.test(value) || (inFlow && node.type === 'PLAIN' && /[,[\]{}]/.test(value))) {
    throw new YamlEditConflict(start, `${dotted} carries the anchor &${node.anchor}, used at ${where(ctx, first.range![0])}, and its value cannot move there`, `write the value at ${where(ctx, first.range![0])} out instead of *${node.anchor}, then run again`);
  }
  return [
    { start: from, end, text: leaf },
    { start: first.range![0], end: first.range![1], text: moved },
  ];
}

function isInFlow(doc: Document, target: Node): boolean {
  let found = false;
  visit(doc, {
    Alias(_key, node, path) {
      if (node === target) {
        found = path.some((p) => (isMap(p) || isSeq(p)) && (p as YAMLMap).flow === true);
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}
