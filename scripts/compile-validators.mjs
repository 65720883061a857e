#!/usr/bin/env node
/**
 * Compiles the JSON Schemas edgebuild ships (build-configs/*.schema.json)
 * into validator modules with ajv's standalone code generation, so a run
 * never loads ajv's compiler or compiles a schema (about 80 ms per run).
 * `npm run build` runs this before tsc; the output is committed under
 * src/core/validators/ so that tests and typecheck see the same code as the
 * build, and `--check` (run by test/unit/validators.test.ts) fails when a
 * schema changed but its validator was not regenerated.
 *
 *   node scripts/compile-validators.mjs [--check]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import standalone from 'ajv/dist/standalone/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
/** Output module (under src/core/validators/) → schema file. */
const SCHEMAS = { 'buildConfig.ts': 'build-configs/build-config.schema.json', 'registries.ts': 'build-configs/registries.schema.json' };
const standaloneCode = standalone.default ?? standalone;

function source(schemaFile) {
  const schema = JSON.parse(readFileSync(join(root, schemaFile), 'utf8'));
  // The same options the validators had when compiled at run time.
  const ajv = new Ajv({ allErrors: true, strict: false, code: { source: true, esm: true } });
  const code = standaloneCode(ajv, ajv.compile(schema)).replace(/^"use strict";/, ''); // ESM is strict; after the imports it would be no directive
  return [
    `// Generated from ${schemaFile} by scripts/compile-validators.mjs (npm run build): do not edit.`,
    '/* eslint-disable */',
    '// @ts-nocheck',
    // ajv's ESM output still require()s its small runtime helpers (string length, deep equality).
    "import { createRequire } from 'node:module';",
    'const require = createRequire(import.meta.url);',
    code,
    '',
  ].join('\n');
}

const check = process.argv.includes('--check');
const stale = [];
for (const [name, schemaFile] of Object.entries(SCHEMAS)) {
  const path = join(root, 'src/core/validators', name);
  const text = source(schemaFile);
  let current;
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    current = undefined;
  }
  if (current === text) continue;
  if (check) stale.push(`src/core/validators/${name} is not what ${schemaFile} compiles to`);
  else writeFileSync(path, text);
}
if (stale.length > 0) {
  console.error(`${stale.join('\n')}\nrun: npm run build (or node scripts/compile-validators.mjs) and commit the result`);
  process.exit(1);
}
