/**
 * A YAML file validated against a JSON Schema shipped with edgebuild (the
 * same schema editors use), with every error turned into one line at
 * file:line:col with a fix. Shared by build configs and registries files. Pure.
 */
import type { ErrorObject } from 'ajv';
import { LineCounter, isMap, isScalar, parseDocument } from 'yaml';
import type { Document, Node, Pair, YAMLError } from 'yaml';
import { inputErrorAt, type InputError, type Place } from '../errors.js';

export type YamlPath = (string | number)[];

/** A validator ajv compiled from a schema ahead of time (src/core/validators/, scripts/compile-validators.mjs). */
export interface Validator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

export interface SchemaFile {
  validate: Validator;
  /** Shown in fixes, e.g. build-configs/build-config.schema.json */
  schemaFile: string;
  /** Error code prefix, e.g. `config` → `config-yaml`, `config-invalid`. */
  code: string;
  /** How to describe a key refused by `propertyNames` under the given path. */
  propertyName?: (path: YamlPath) => { what: string; fix: string };
}

export interface ParsedYaml<T> {
  data: T;
  doc: Document.Parsed;
  /** file:line:col of a path in the file (of the key itself when `key` is true). */
  locate(path: YamlPath, key?: boolean): Place;
}

export function dotted(path: YamlPath): string {
  return path.length ? path.map((p) => (typeof p === 'number' ? `[${p}]` : /^[A-Za-z_$][\w$]*$/.test(p) ? `.${p}` : `["${p}"]`)).join('').replace(/^\./, '') : 'the file';
}

function pointerToPath(pointer: string): YamlPath {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

/** The key node of `key` in the map at `path`, else the value node at `path`. */
function nodeAt(doc: Document, path: YamlPath, key?: string): Node | undefined {
  const node = (path.length ? doc.getIn(path, true) : doc.contents) as Node | undefined;
  if (key !== undefined && isMap(node)) {
    const pair = node.items.find((p: Pair) => isScalar(p.key) && String(p.key.value) === key);
    if (pair?.key) return pair.key as Node;
  }
  return node;
}

function article(type: string): string {
  if (type === 'object') return 'a mapping';
  if (type === 'array') return 'a list';
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function describe(error: ErrorObject, path: YamlPath, spec: SchemaFile): { message: string; fix: string; key?: string } {
  const where = dotted(path);
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = (error.params as { additionalProperty: string }).additionalProperty;
      return { message: `unknown key "${key}" in ${where}`, fix: `remove it or correct its spelling (see ${spec.schemaFile})`, key };
    }
    case 'propertyNames': {
      const key = (error.params as { propertyName: string }).propertyName;
      const { what, fix } = spec.propertyName?.(path) ?? { what: 'a valid key', fix: `see ${spec.schemaFile}` };
      return { message: `"${key}" in ${where} is not ${what}`, fix, key };
    }
    case 'enum': {
      const allowed = [...new Set((error.params as { allowedValues: unknown[] }).allowedValues.map(String))].join(', ');
      return { message: `${where} must be one of ${allowed}`, fix: `set ${where} to one of ${allowed}` };
    }
    case 'required': {
      const key = (error.params as { missingProperty: string }).missingProperty;
      return { message: `${where} is missing "${key}"`, fix: `add ${key}:` };
    }
    case 'type': {
      const types = String((error.params as { type: string | string[] }).type).split(',');
      return { message: `${where} must be ${types.map(article).join(' or ')}`, fix: `change the value of ${where}` };
    }
    case 'pattern':
      return { message: `${where} has an invalid format`, fix: `see the description of ${where} in ${spec.schemaFile}` };
    case 'minItems':
      return { message: `${where} must not be empty`, fix: `add an entry to ${where} or remove it` };
    case 'minLength':
      return { message: `${where} must not be empty`, fix: `give ${where} a value or remove it` };
    default:
      return { message: `${where} ${error.message ?? 'is invalid'}`, fix: `correct ${where} (see ${spec.schemaFile})` };
  }
}

/** The most useful error: for anyOf/oneOf failures ajv reports several; prefer the deepest non-combinator one. */
function pick(errors: ErrorObject[]): ErrorObject {
  // A bad property name yields a `pattern` error carrying `propertyName`, then the `propertyNames` error we describe.
  const real = errors.filter((e) => !['anyOf', 'oneOf', 'if'].includes(e.keyword) && e.propertyName === undefined);
  const pool = real.length ? real : errors;
  // Deepest first; at equal depth a "type" error is usually the other anyOf branch.
  return pool.reduce((best, e) => {
    if (e.instancePath.length !== best.instancePath.length) return e.instancePath.length > best.instancePath.length ? e : best;
    return best.keyword === 'type' && e.keyword !== 'type' ? e : best;
  }, pool[0]!);
}

/**
 * A YAML syntax error as one line at file:line:col. `prettyErrors: false`
 * leaves `linePos` unset, so the position also comes from the line counter.
 */
export function yamlSyntaxError(error: YAMLError, file: string, lines: LineCounter, code: string): InputError {
  const pos = error.linePos?.[0] ?? lines.linePos(error.pos[0]);
  const duplicate = error.code === 'DUPLICATE_KEY';
  const detail = error.message.split('\n', 1)[0]!.replace(/ at line \d+, column \d+:?$/, '');
  return inputErrorAt({ file, line: pos.line, col: pos.col }, `${duplicate ? 'duplicate key' : 'invalid YAML'}: ${detail}`, {
    code: `${code}-yaml`,
    fix: duplicate ? 'keep one of the two keys' : 'correct the YAML syntax at that place',
  });
}

export function parseYamlWithSchema<T>(source: string, file: string, spec: SchemaFile): ParsedYaml<T> {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, uniqueKeys: true });
  const placeOf = (node: Node | undefined): Place => {
    const pos = node?.range ? lines.linePos(node.range[0]) : undefined;
    return { file, line: pos?.line, col: pos?.col };
  };
  const first = doc.errors[0];
  if (first) throw yamlSyntaxError(first, file, lines, spec.code);
  let data: unknown;
  try {
    data = doc.contents === null ? {} : doc.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    throw inputErrorAt({ file, line: 1 }, `invalid YAML: ${(error as Error).message}`, { code: `${spec.code}-yaml`, fix: 'write the values out instead of nesting aliases' });
  }
  const { validate } = spec;
  if (!validate(data)) {
    const error = pick(validate.errors!);
    const path = pointerToPath(error.instancePath);
    const { message, fix, key } = describe(error, path, spec);
    // A missing key is reported at the key of the mapping that lacks it.
    const node = error.keyword === 'required' && path.length ? nodeAt(doc, path.slice(0, -1), String(path.at(-1))) : nodeAt(doc, path, key);
    throw inputErrorAt(placeOf(node ?? (doc.contents as Node | undefined)), message, { code: `${spec.code}-invalid`, fix });
  }
  return {
    data: data as T,
    doc,
    locate: (path, key) => {
      if (key && path.length) return placeOf(nodeAt(doc, path.slice(0, -1), String(path.at(-1))));
      return placeOf(nodeAt(doc, path) ?? (doc.contents as Node | undefined));
    },
  };
}
