/**
 * Issue 10 item 4: user-data means exactly what the user wrote, plus one key,
 * as the edge host reads it. Every file of test/fixtures/userdata-corpus goes
 * through prepareUserData; Go's yaml.v2 (the reader Kairos and yip use) reads
 * input and output, and the output must mean the input with only
 * stylus.imageRedirectWebhook.enable set to false and ${env:} values as strings.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readUserFile } from '../../src/adapters/files.js';
import { prepareUserData } from '../../src/core/userData/prepare.js';
import { InputError } from '../../src/errors.js';
import { buildGoYaml, haveGoYaml, leaves, sortedCanon, type GoYaml, type Reading } from './goYaml.js';
import { actualMeaning, expectRefusalWithPlace, expectedMeaning, onlyDocument, substitutedMeaning } from './userDataOracle.js';

const CORPUS = fileURLToPath(new URL('../fixtures/userdata-corpus', import.meta.url));
const files = readdirSync(CORPUS).filter((f) => f.endsWith('.yaml')).sort();

/** Hostile environment values: each is something else than a string when written plain in YAML 1.1. */
const CORPUS_ENV: Record<string, string> = {
  EDGE_HOST_TOKEN: 'yes',
  REGISTRY_PASSWORD: 'p@ss"w\\rd: #1',
  V_YES: 'yes',
  V_ON: 'on',
  V_NO: 'NO',
  V_SEXA: '1:30',
  V_UNDER: '1_000',
  V_BIN: '0b101',
  V_DATE: '2001-12-14',
  V_OCT: '0644',
  V_NULL: '~',
  V_EMPTY: '',
  V_QUOTE: `it's "quoted"`,
  V_BACKSLASH: 'C:\\path\\n\\x41\\',
  V_UNICODE: 'héllo ☃ 😀 \u00a0end',
  V_HASH: 'a #b',
  V_SPACES: '  lead and trail  ',
  V_MULTILINE: 'line1\nline2\n',
  V_CRLF: 'a\r\nb',
  V_COLON: 'key: value',
  V_TAB: 'a\tb',
  V_HOST: 'registry.local',
  V_PORT: '5000',
};

/**
 * Where the webhook switch is shared through an alias or a merge key, the
 * issue allows either a local edit that keeps every other path's meaning or
 * exit 2 with file:line:col; these files accept both.
 */
const MAY_REFUSE = new Set(['13-anchor-on-enable.yaml', '15-merge-root.yaml', '16-merge-in-stylus.yaml', '43-enable-off-alias-map.yaml']);

/** Files edgebuild must refuse with exit 2, with the error code. */
const REFUSED: Record<string, string> = {
  'no-header.yaml': 'user-data-header',
  'two-documents.yaml': 'user-data-documents',
  'root-sequence.yaml': 'user-data-root',
  'stylus-scalar.yaml': 'user-data-shape',
  'duplicate-keys.yaml': 'user-data-yaml',
  'enable-map.yaml': 'user-data-shape',
  'unknown-placeholder.yaml': 'user-data-placeholder',
  'missing-env.yaml': 'user-data-env',
  'syntax-error.yaml': 'user-data-yaml',
};

test('the corpus is large enough and every file is a #cloud-config text file', () => {
  expect(files.length).toBeGreaterThanOrEqual(30);
  for (const f of files) expect(readFileSync(join(CORPUS, f), 'utf8')).toMatch(/^#cloud-config\r?\n/);
  expect(readdirSync(join(CORPUS, 'refused')).sort()).toEqual(Object.keys(REFUSED).sort());
});

describe.each(Object.entries(REFUSED))('refused: %s', (file, code) => {
  test(`exit 2 with ${code}`, () => {
    const source = readFileSync(join(CORPUS, 'refused', file), 'utf8');
    let caught: unknown;
    try {
      prepareUserData(source, file, { env: CORPUS_ENV });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InputError);
    expect((caught as InputError).exitCode).toBe(2);
    expect((caught as InputError).code).toBe(code);
  });
});

/**
 * Issue 10 item 3: raw NUL and other C0/C1 controls (DEL, U+0085 and the line
 * separators are line breaks to yaml.v2) and bytes that are not UTF-8 are
 * refused with file:line:col, where edgebuild reads the file. Built here: a
 * text file cannot hold them.
 */
describe.each([
  ...['\0', '\x01', '\x1b', '\x7f', '\u0085', '\u009b', '\u2028', '\u2029'].map((c) => [JSON.stringify(c), Buffer.from(c, 'utf8')] as const),
  ['the byte 0xE9 (Latin-1 é)', Buffer.from([0xe9])] as const,
])('refused: %s in a value', (_name, bytes) => {
  test('exit 2 at file:line:col', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgebuild-userdata-bytes-'));
    const file = join(dir, 'user-data.yaml');
    writeFileSync(file, Buffer.concat([Buffer.from('#cloud-config\nstylus:\n  site:\n    name: a'), bytes, Buffer.from('b\n')]));
    let caught: unknown;
    try {
      prepareUserData(await readUserFile(file, 'user-data'), file, { env: CORPUS_ENV });
    } catch (error) {
      caught = error;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expectRefusalWithPlace(caught);
    expect((caught as InputError).details.line).toBe(4);
  });
});

describe.skipIf(!haveGoYaml)('the yaml.v2 oracle over the corpus', () => {
  let go: GoYaml;
  const outcome = new Map<string, { input: Reading; output?: Reading; refusal?: unknown; kept?: Reading; keptRefusal?: unknown }>();

  /** Node process warnings each file caused: a user's file must not put library warnings on stderr. */
  const warned = new Map<string, string[]>();

  beforeAll(async () => {
    go = buildGoYaml();
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.message);
    process.on('warning', onWarning);
    const prepare = (f: string, keepWebhook: boolean): { path?: string; refusal?: unknown } => {
      try {
        const text = prepareUserData(readFileSync(join(CORPUS, f), 'utf8'), f, { env: CORPUS_ENV, keepWebhook }).text;
        const path = join(go.dir, `${keepWebhook ? 'kept-' : ''}${f}`);
        writeFileSync(path, text);
        return { path };
      } catch (error) {
        return { refusal: error };
      }
    };
    const prepared: { path?: string; refusal?: unknown }[] = [];
    const kept: { path?: string; refusal?: unknown }[] = [];
    for (const f of files) {
      prepared.push(prepare(f, false));
      kept.push(prepare(f, true));
      // process.emitWarning reports on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
      warned.set(f, warnings.splice(0));
    }
    process.off('warning', onWarning);
    // One Go process reads every input and every output.
    const outputs = [...prepared, ...kept].flatMap((p) => (p.path ? [p.path] : []));
    const readings = go.read([...files.map((f) => join(CORPUS, f)), ...outputs]);
    const byPath = new Map(readings.map((r) => [r.file, r]));
    files.forEach((f, i) => {
      const [p, k] = [prepared[i]!, kept[i]!];
      outcome.set(f, { input: readings[i]!, output: p.path === undefined ? undefined : byPath.get(p.path), refusal: p.refusal, kept: k.path === undefined ? undefined : byPath.get(k.path), keptRefusal: k.refusal });
    });
  });
  afterAll(() => go?.dispose());

  // --keep-webhook: nothing changes but the ${env:} values.
  test.each(files)('%s with --keep-webhook', (file) => {
    const { input, kept, keptRefusal } = outcome.get(file)!;
    if (keptRefusal !== undefined) throw keptRefusal;
    expect(leaves(sortedCanon(onlyDocument(kept!, 'output')))).toEqual(leaves(substitutedMeaning(onlyDocument(input, 'input'), { env: CORPUS_ENV }, go)));
  });

  test.each(files)('%s', (file) => {
    const { input, output, refusal } = outcome.get(file)!;
    expect(warned.get(file), 'Node warnings while preparing').toEqual([]);
    const inputMeaning = onlyDocument(input, 'input');
    if (refusal !== undefined) {
      if (!MAY_REFUSE.has(file)) throw refusal;
      expectRefusalWithPlace(refusal);
      return;
    }
    const outputMeaning = onlyDocument(output!, 'output');
    expect(leaves(actualMeaning(outputMeaning))).toEqual(leaves(expectedMeaning(inputMeaning, CORPUS_ENV, go)));
    // yip decodes stages into typed fields: the output must decode wherever the input did.
    if (input.yipError === undefined) expect(output!.yipError).toBeUndefined();
  });
});
