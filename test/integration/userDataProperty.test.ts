/**
 * Issue 10 item 4, as a property: generated user-data full of YAML-1.1-
 * sensitive scalars (octal, yes/no/on/off, ~, 1:30, timestamps, big ints,
 * !!binary, !!str), block and flow collections, every block-scalar chomping,
 * comments, CRLF and `${env:}` placeholders with hostile values, through
 * prepareUserData; Go's yaml.v2 reads input and output and the meanings must
 * agree as in the corpus test. All generated files are read by one Go process
 * (the same seed generates the same documents for the check); FC_NUM_RUNS
 * goes deeper.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { prepareUserData } from '../../src/core/userData/prepare.js';
import { buildGoYaml, haveGoYaml, leaves, type GoYaml, type Reading } from './goYaml.js';
import { actualMeaning, expandedStrings, expectedMeaning, onlyDocument } from './userDataOracle.js';

const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 100);
const SEED = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);

/** Plain scalars each YAML 1.1 reads as something else than the text. */
const PLAIN = ['yes', 'no', 'on', 'off', 'y', 'n', 'Y', 'NO', 'True', '~', 'null', 'Null', '0644', '0600', '0755', '0x1F', '0o17', '08', '012', '1_000', '0b101', '1:30', '2001-12-14', '2001-12-14T21:59:43Z', '123456789012345678901234567890', '9007199254740993', '.inf', '-.Inf', '.NaN', '1e3', '+12', '3.0', 'a#b', 'lab-7', 'plain words', 'héllo ☃'];
/** Tagged and quoted forms. */
const WRITTEN = ['!!str 0644', '!!str yes', '!!binary aGVsbG8=', '!!int "0644"', '"yes"', "'0644'", '"1:30"', '"tab\\there"', "'it''s'", '"\\u263A \\x41"', '"2001-12-14"'];
const ENV_NAMES = ['E_YES', 'E_OCT', 'E_DATE', 'E_SEXA', 'E_MULTI', 'E_ANY'] as const;
const KEYS = ['alpha', 'beta', 'yes', 'off', '0644', '1:30', '2001-12-14', '~', '12', 'x y'];

type Node = { kind: 'scalar'; text: string; flowSafe: boolean } | { kind: 'block'; header: string; lines: string[] } | { kind: 'map'; flow: boolean; entries: [string, Node][] } | { kind: 'seq'; flow: boolean; items: Node[] };

const placeholder = fc.constantFrom(...ENV_NAMES).map((n) => `\${env:${n}}`);
const scalar: fc.Arbitrary<Node> = fc.oneof(
  fc.constantFrom(...PLAIN).map((text) => ({ kind: 'scalar' as const, text, flowSafe: !/[#\s]/.test(text) && !text.includes(':') })),
  fc.constantFrom(...WRITTEN).map((text) => ({ kind: 'scalar' as const, text, flowSafe: true })),
  placeholder.map((p) => ({ kind: 'scalar' as const, text: p, flowSafe: false })),
  fc.tuple(placeholder, fc.constantFrom('"', "'")).map(([p, q]) => ({ kind: 'scalar' as const, text: `${q}pre ${p} post${q}`, flowSafe: true })),
  fc.tuple(placeholder, fc.constantFrom('', 'https://', 'v-')).map(([p, pre]) => ({ kind: 'scalar' as const, text: `${pre}${p}/x`, flowSafe: false })),
);
const block: fc.Arbitrary<Node> = fc
  .tuple(fc.constantFrom('|', '|-', '|+', '>', '>-', '>+', '|2', '>1-'), fc.array(fc.oneof(fc.constantFrom(...PLAIN), placeholder, fc.constant('')), { minLength: 1, maxLength: 4 }))
  .map(([header, lines]) => ({ kind: 'block' as const, header, lines: lines[0] === '' ? ['first', ...lines] : lines }));

const { node } = fc.letrec<{ node: Node; map: Node; seq: Node }>((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, scalar, block, tie('map'), tie('seq')),
  map: fc
    .tuple(fc.boolean(), fc.uniqueArray(fc.tuple(fc.constantFrom(...KEYS), tie('node')), { selector: ([k]) => k, minLength: 1, maxLength: 4 }))
    .map(([flow, entries]) => ({ kind: 'map' as const, flow, entries })),
  seq: fc.tuple(fc.boolean(), fc.array(tie('node'), { minLength: 1, maxLength: 3 })).map(([flow, items]) => ({ kind: 'seq' as const, flow, items })),
}));

const flowable = (n: Node): boolean => (n.kind === 'scalar' ? n.flowSafe : n.kind === 'block' ? false : n.kind === 'map' ? n.entries.every(([, v]) => flowable(v)) : n.items.every(flowable));

function flow(n: Node): string {
  if (n.kind === 'scalar') return n.text;
  if (n.kind === 'map') return `{${n.entries.map(([k, v]) => `${k}: ${flow(v)}`).join(', ')}}`;
  if (n.kind === 'seq') return `[${n.items.map(flow).join(', ')}]`;
  throw new Error('block scalar in flow');
}

/** Lines of `n` as the value after `lead` (e.g. "key:" or "-"), indented by `pad`. */
function render(lead: string, n: Node, pad: string, comment: () => string): string[] {
  if (n.kind === 'scalar' || ((n.kind === 'map' || n.kind === 'seq') && n.flow && flowable(n))) return [`${pad}${lead} ${flow(n)}${comment()}`];
  if (n.kind === 'block') return [`${pad}${lead} ${n.header}${comment()}`, ...n.lines.map((l) => (l === '' ? '' : `${pad}  ${/^[|>]\d/.test(n.header) ? ' '.repeat(Number(n.header[1])) : ''}${l}`))];
  const inner = `${pad}  `;
  const body = n.kind === 'map' ? n.entries.flatMap(([k, v]) => render(`${k}:`, v, inner, comment)) : n.items.flatMap((v) => render('-', v, inner, comment));
  return [`${pad}${lead}${comment()}`, ...body];
}

interface Doc {
  text: string;
  env: Record<string, string>;
}

const stylus = fc.record({
  enable: fc.constantFrom(undefined, 'true', 'false', 'yes', 'off', '"true"'),
  /** An anchor on the switch, aliased elsewhere: the alias must keep its meaning. */
  anchored: fc.boolean(),
  site: fc.boolean(),
});

const doc: fc.Arbitrary<Doc> = fc
  .record({
    entries: fc.uniqueArray(fc.tuple(fc.constantFrom(...KEYS), node), { selector: ([k]) => k, minLength: 1, maxLength: 5 }),
    stylus: fc.option(stylus, { nil: undefined }),
    stylusAt: fc.nat(),
    comments: fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }),
    crlf: fc.boolean(),
    env: fc.record({
      E_YES: fc.constantFrom('yes', 'on', 'NO', 'y'),
      E_OCT: fc.constantFrom('0644', '0o644', '0x1F', '1_000', '0b101'),
      E_DATE: fc.constantFrom('2001-12-14', '2001-12-14T21:59:43Z', '2001-12-14 21:59:43.10'),
      E_SEXA: fc.constantFrom('1:30', '~', '', 'null', '.inf'),
      E_MULTI: fc.constantFrom('a\nb', 'a\r\nb\n', '"q" \\ \'s\'', ' lead', 'x #y', 'k: v', '- item', '\u2028\u0085\u007f'),
      E_ANY: fc.string({ unit: 'binary', maxLength: 12 }).map((s) => s.replace(/\0/g, '')),
    }),
  })
  .map(({ entries, stylus: st, stylusAt, comments, crlf, env }) => {
    let c = 0;
    const comment = (): string => (comments[c++ % comments.length] ? ' # c' : '');
    const lines = ['#cloud-config'];
    const stylusLines = st && [
      'stylus:',
      ...(st.site ? ['  site:', `    edgeHostToken: \${env:E_YES}${comment()}`, '    paletteEndpoint: api.example'] : []),
      ...(st.enable === undefined ? [] : ['  imageRedirectWebhook:', `    enable: ${st.anchored ? '&hook ' : ''}${st.enable}${comment()}`]),
      ...(st.enable !== undefined && st.anchored ? ['reboot: *hook'] : []),
    ];
    entries.forEach(([k, v], i) => {
      if (stylusLines && i === stylusAt % entries.length) lines.push(...stylusLines);
      if (comments[i]) lines.push('# between entries');
      lines.push(...render(`${k}:`, v, '', comment));
    });
    const text = `${lines.join('\n')}\n`;
    return { text: crlf ? text.replace(/\n/g, '\r\n') : text, env };
  });

describe.skipIf(!haveGoYaml)('generated user-data under the yaml.v2 oracle', () => {
  let go: GoYaml;
  const cache = new Map<string, Reading>();
  /** Reads the texts not read yet, all in one Go process. */
  const readAll = (texts: string[]): Reading[] => {
    const missing = [...new Set(texts.filter((t) => !cache.has(t)))];
    go.readTexts(missing).forEach((r, i) => cache.set(missing[i]!, r));
    return texts.map((t) => cache.get(t)!);
  };
  const prepare = (d: Doc): string => prepareUserData(d.text, 'user-data.yaml', { env: d.env }).text;

  beforeAll(() => {
    go = buildGoYaml();
    const docs = fc.sample(doc, { seed: SEED, numRuns: NUM_RUNS });
    const outputs = docs.flatMap((d) => {
      try {
        return [prepare(d)];
      } catch {
        return []; // the property reports it
      }
    });
    const readings = readAll([...docs.map((d) => d.text), ...outputs]);
    go.strings(docs.flatMap((d, i) => (readings[i]!.docs?.length === 1 ? expandedStrings(readings[i]!.docs[0]!, { env: d.env }) : [])));
  });
  afterAll(() => go?.dispose());

  test(`output means the input plus the one key (seed ${SEED}, ${NUM_RUNS} runs)`, () => {
    fc.assert(
      fc.property(doc, (d) => {
        const [input] = readAll([d.text]);
        const inputMeaning = onlyDocument(input!, 'generated input');
        const [output] = readAll([prepare(d)]);
        expect(leaves(actualMeaning(onlyDocument(output!, 'output')))).toEqual(leaves(expectedMeaning(inputMeaning, d.env, go)));
      }),
      { seed: SEED, numRuns: NUM_RUNS },
    );
  });
});
