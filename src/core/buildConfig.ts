/**
 * The build config (`build-configs/*.yaml`), validated against the JSON
 * Schema shipped beside the examples, so editors and edgebuild agree. Pure.
 */
import { createRequire } from 'node:module';
import { Ajv, type ErrorObject } from 'ajv';
import { LineCounter, isMap, isScalar, parseDocument } from 'yaml';
import type { Node, Pair, Scalar } from 'yaml';
import { inputErrorAt } from '../errors.js';

export interface BuildConfig {
  name?: string;
  canvos?: { repo?: string; tag?: string };
  userData?: string;
  keepWebhook?: boolean;
  target?: string;
  /** Values as written (numbers keep their source text: `22.10` stays "22.10"). */
  arg?: Record<string, string>;
  files?: { from: string; to: string }[];
  preflight?: { minCpus?: number; minMemoryGB?: number; minDiskGB?: number; probeImage?: string };
}

const require = createRequire(import.meta.url);
export const buildConfigSchema = require('../../build-configs/build-config.schema.json') as object;

let validate: ReturnType<Ajv['compile']> | undefined;

function describe(error: ErrorObject): { message: string; fix: string } {
  const where = error.instancePath ? error.instancePath.slice(1).replaceAll('/', '.') : 'the config';
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = (error.params as { additionalProperty: string }).additionalProperty;
      return { message: `unknown key "${key}" in ${where}`, fix: 'remove it or correct its spelling (see build-configs/build-config.schema.json)' };
    }
    case 'enum': {
      const allowed = (error.params as { allowedValues: unknown[] }).allowedValues.map(String);
      return { message: `${where} must be one of ${[...new Set(allowed)].join(', ')}`, fix: `set ${where} to one of ${[...new Set(allowed)].join(', ')}` };
    }
    case 'required': {
      const key = (error.params as { missingProperty: string }).missingProperty;
      return { message: `${where} is missing "${key}"`, fix: `add ${key}:` };
    }
    case 'type':
      return { message: `${where} must be ${(error.params as { type: string | string[] }).type.toString().replace(',', ' or ')}`, fix: `change the value of ${where}` };
    default:
      return { message: `${where} ${error.message ?? 'is invalid'}`, fix: `change the value of ${where}` };
  }
}

function nodeFor(doc: ReturnType<typeof parseDocument>, error: ErrorObject): Node | undefined {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p.replaceAll('~1', '/').replaceAll('~0', '~')));
  const node = (path.length ? doc.getIn(path, true) : doc.contents) as Node | undefined;
  if (error.keyword === 'additionalProperties' && isMap(node)) {
    const key = (error.params as { additionalProperty: string }).additionalProperty;
    const pair = node.items.find((p: Pair) => isScalar(p.key) && p.key.value === key);
    return (pair?.key as Node | undefined) ?? node;
  }
  return node ?? (doc.contents as Node | undefined);
}

/** Parses and validates a build config; throws InputError (exit 2) with file:line:col. */
export function parseBuildConfig(source: string, file: string): BuildConfig {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0];
    throw inputErrorAt({ file, line: pos?.line, col: pos?.col }, `invalid YAML: ${first.message.split('\n', 1)[0]!.replace(/ at line \d+, column \d+:?$/, '')}`, {
      code: 'config-yaml',
      fix: first.code === 'DUPLICATE_KEY' ? 'keep one of the two keys' : 'correct the YAML syntax at that place',
    });
  }
  const data: unknown = doc.contents === null ? {} : doc.toJS();
  validate ??= new Ajv({ allErrors: false, strict: false }).compile(buildConfigSchema);
  if (!validate(data)) {
    const error = validate.errors![0]!;
    const node = nodeFor(doc, error);
    const pos = node?.range ? lines.linePos(node.range[0]) : undefined;
    const { message, fix } = describe(error);
    throw inputErrorAt({ file, line: pos?.line, col: pos?.col }, message, { code: 'config-invalid', fix });
  }
  const config = data as BuildConfig & { arg?: Record<string, unknown> };
  if (config.arg) {
    const arg: Record<string, string> = {};
    for (const [key, value] of Object.entries(config.arg)) {
      const node = doc.getIn(['arg', key], true) as Scalar | undefined;
      // Numbers keep the text the user wrote: OS_VERSION: 22.10 must not become "22.1".
      arg[key] = typeof value === 'number' && node?.source ? node.source : String(value);
    }
    config.arg = arg;
  }
  return config as BuildConfig;
}
