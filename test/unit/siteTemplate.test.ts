import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { compileTemplate, readsBackAlone, renderSite } from '../../src/core/sites/template.js';
import { yamlQuote } from '../../src/core/userData/yamlEdit.js';
import type { SiteInput } from '../../src/core/sites/template.js';
import { InputError } from '../../src/errors.js';

function site(values: Record<string, string>, env: Record<string, string> = {}): SiteInput {
  return { name: values.name ?? 'site-1', row: 1, place: { file: 'sites.csv', line: 2 }, value: (f) => values[f], env };
}

function render(template: string, values: Record<string, string>, env: Record<string, string> = {}): string {
  return renderSite(compileTemplate(template, 'tpl.yaml'), site(values, env)).text;
}

function failure(fn: () => unknown): InputError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error('expected an InputError');
}

const TEMPLATE = [
  '#cloud-config',
  '# ${site:city} in a comment stays as written',
  'stylus:',
  '  site:',
  '    name: ${site:name}',
  '    edgeHostToken: ${env:TOKEN}',
  '    tags:',
  "      city: '${site:city}'",
  '      label: "edge-${site:city}-$${literal}"',
  '      both: [ "${site:city}", x ]',
  '  debug: true # a constant keeps its type',
  '',
].join('\n');

// Values that change type or break a document when pasted as text.
const AWKWARD = ['a: b', 'x # y', "it's", 'say "hi"', '007', 'yes', 'no', 'null', 'true', '1e3', '0x1F', '~', '', ' lead', 'trail ', '- item', '[a]', '{a: 1}', '&anchor', '*alias', '!tag', '%dir', '@at', '`tick', 'line1\nline2', 'tab\there', '\\back', '${site:name}', '$${', 'ünïcödé ✓', '\u0085nel', '\u007fdel', '\u2028ls', '\ufeffbom', '---', '...'];

describe('renderSite', () => {
  test('substitutes per scalar and keeps everything else byte for byte', () => {
    const text = render(TEMPLATE, { name: 'berlin-01', city: 'Berlin' }, { TOKEN: 's3cret' });
    expect(text).toBe(
      [
        '#cloud-config',
        '# ${site:city} in a comment stays as written',
        'stylus:',
        '  site:',
        '    name: "berlin-01"',
        '    edgeHostToken: "s3cret"',
        '    tags:',
        '      city: "Berlin"',
        '      label: "edge-Berlin-${literal}"',
        '      both: [ "Berlin", x ]',
        '  debug: true # a constant keeps its type',
        '',
      ].join('\n'),
    );
    expect(parse(text).stylus.debug).toBe(true);
  });

  test.each(AWKWARD.map((v) => [v]))('the value %j stays a string with exactly that text, in every place a placeholder can be', (value) => {
    const template = ['#cloud-config', 'plain: ${site:v}', "single: 'x ${site:v}'", 'double: "${site:v} y"', 'list:', '  - ${site:v}', 'flow: {k: "${site:v}"}', 'block: |', '  echo ${site:v}', '', 'key-${site:v}: 1', ''].join('\n');
    const doc = parse(render(template, { v: value }));
    expect(doc).toEqual({ plain: value, single: `x ${value}`, double: `${value} y`, list: [value], flow: { k: value }, block: `echo ${value}\n`, [`key-${value}`]: 1 });
  });

  test('property: any text value reads back as exactly itself', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'grapheme-ascii', maxLength: 40 }), (a, b) => {
        fc.pre(!/[\ud800-\udfff]/.test(a)); // lone surrogates cannot come from a UTF-8 file
        const doc = parse(render('#cloud-config\nstylus:\n  a: ${site:a}\n  b: "${site:a}:${site:b}"\n', { a, b }));
        expect(doc.stylus).toEqual({ a, b: `${a}:${b}` });
      }),
    );
  });

  // Positions where the substituted scalars alone are read back (the template's document is known good).
  const QUICK = ['#cloud-config', 'stylus:', '  plain: ${site:v}', '  multi: x', '    ${site:v} y', "  single: 'a ${site:v}'", '  double: "${site:v}" # c', '  list:', '    - ${site:v}', '  flow: [ "${site:v}", {k: "${site:v}"} ]', '  many: ${site:v}${site:w}', ''].join('\n');
  // Positions where a value can break or change the document: keys, tags, anchors, blocks.
  const WHOLE = [
    '#cloud-config\n${site:v}: 1\nx: 2\n',
    '#cloud-config\n["${site:v}"]: 1\n',
    '#cloud-config\nvlan: !!int ${site:v}\n',
    '#cloud-config\na: &n ${site:v}\nm:\n  *n : 1\n  x: 2\n',
    '#cloud-config\na: &l ["${site:v}"]\nb: *l\n',
    '#cloud-config\nb: >\n  ${site:v}\n',
  ];

  test('values in flow scalars are read back alone; keys, tags, anchors and blocks read the whole document', () => {
    expect(renderSite(compileTemplate(QUICK, 'tpl.yaml'), site({ v: 'x', w: 'y' })).check).toBe('scalars');
    expect(renderSite(compileTemplate(TEMPLATE, 'tpl.yaml'), site({ name: 'b', city: 'c' }, { TOKEN: 't' })).check).toBe('scalars');
    for (const template of WHOLE) expect(renderSite(compileTemplate(template, 'tpl.yaml'), site({ v: '1' })).check).toBe('document');
  });

  test.each([
    ['"a\\tb"', 'a\tb', true],
    ['"a\\tb"', 'a\\tb', false], // the text holds another value
    ['"a\\qb"', 'aqb', false], // an escape YAML does not have: the strict resolver's error
    ['"a" x', 'a', false], // more than the one scalar
    ['"a"#c', 'a', false],
    ['"a":', 'a', false],
    ['"a', 'a', false], // no closing quote
    ['"a\\"', 'a"', false], // the last quote escaped: not closed
    [' "a"', 'a', false],
    ["'a'", 'a', false], // not double-quoted
    ['"a\nb"', 'a b', false], // two lines
  ])('a substituted scalar %s read back alone as %j: %s', (quoted, value, reads) => {
    expect(readsBackAlone(quoted, value)).toBe(reads);
  });

  test('property: JSON strings (valid YAML double-quoted scalars) read back alone as exactly their value', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (v) => {
        fc.pre(!/[\ud800-\udfff]/.test(v));
        expect(readsBackAlone(JSON.stringify(v), v)).toBe(true);
        expect(readsBackAlone(JSON.stringify(v), `${v}x`)).toBe(false);
      }),
    );
  });

  test('property: whenever the scalars alone are read back, the whole document reads as the template says', () => {
    const templates = [QUICK, ...WHOLE];
    fc.assert(
      fc.property(fc.constantFrom(...templates), fc.oneof(fc.constantFrom(...AWKWARD), fc.string({ unit: 'binary', maxLength: 30 })), fc.string({ maxLength: 5 }), (template, v, w) => {
        fc.pre(!/[\ud800-\udfff]/.test(v));
        let rendered;
        try {
          rendered = renderSite(compileTemplate(template, 'tpl.yaml'), site({ v, w }));
        } catch (error) {
          expect(error).toBeInstanceOf(InputError); // only a key, tag or anchor position may fail
          expect(template).not.toBe(QUICK);
          return;
        }
        if (rendered.check !== 'scalars') return;
        expect(parse(rendered.text, { uniqueKeys: true })).toEqual({ stylus: { plain: v, multi: `x ${v} y`, single: `a ${v}`, double: v, list: [v], flow: [v, { k: v }], many: `${v}${w}` } });
      }),
      { numRuns: 300 },
    );
  });

  test('a | block stays a readable block when its values allow', () => {
    const template = '#cloud-config\nstages:\n  boot:\n    - commands:\n        - |\n          hostnamectl set-hostname ${site:name}\n          echo "${site:city}: ok" # kept\n';
    const text = render(template, { name: 'berlin-01', city: 'Berlin "Mitte"' });
    expect(text).toBe('#cloud-config\nstages:\n  boot:\n    - commands:\n        - |\n          hostnamectl set-hostname berlin-01\n          echo "Berlin "Mitte": ok" # kept\n');
  });

  test('a | block whose value brings a line break is quoted instead', () => {
    const text = render('#cloud-config\nrun: |\n  echo ${site:v}\nnext: 1\n', { v: 'a\nb' });
    expect(text).toBe('#cloud-config\nrun: "echo a\\nb\\n"\nnext: 1\n');
  });

  test.each([[' '], [''], ['  two'], ['\t'], ['# x'], ['- y']])('a | block starting with %j reads back exactly', (v) => {
    expect(parse(render('#cloud-config\nb: |-\n  ${site:v}\n', { v }))).toEqual({ b: v });
    expect(parse(render('#cloud-config\nc: |\n  ${site:v}\n  more\n', { v }))).toEqual({ c: `${v}\nmore\n` });
    expect(parse(render('#cloud-config\nd: |\n  x\n  ${site:v}\n', { v }))).toEqual({ d: `x\n${v}\n` });
  });

  test('property: any value in a | block reads back exactly, first on its line or inside it', () => {
    const template = '#cloud-config\na: |\n  ${site:v}\n  x ${site:v} y\nb: |-\n    ${site:v}\nc: 1\n';
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 30 }), (v) => {
        fc.pre(!/[\ud800-\udfff]/.test(v));
        expect(parse(render(template, { v }))).toEqual({ a: `${v}\nx ${v} y\n`, b: v, c: 1 });
      }),
    );
  });

  test('a ${ that is no placeholder (shell syntax) is left exactly as written', () => {
    expect(render('#cloud-config\ncmd: echo ${HOME} ${site:v}x\nraw: echo ${HOME}\n', { v: 'a' })).toBe('#cloud-config\ncmd: "echo ${HOME} ax"\nraw: echo ${HOME}\n');
  });

  test('a value is never expanded again: ${env:...} inside a site value stays text', () => {
    const text = render('#cloud-config\nx: ${site:v}\n', { v: '${env:TOKEN}' }, { TOKEN: 's3cret' });
    expect(parse(text).x).toBe('${env:TOKEN}');
    expect(text).not.toContain('s3cret');
  });

  test.each([
    ['$${site:x}', '${site:x}'],
    ['$${env:X}', '${env:X}'],
    ['a $${b} c', 'a ${b} c'],
    ['$$${site:x}', '$${site:x}'], // the escape wins: a '$' right before a placeholder cannot be written
  ])('the escape: %j renders as %j', (template, value) => {
    expect(parse(render(`#cloud-config\nk: "${template}"\n`, { x: 'v' }, { X: 'secret' })).k).toBe(value);
  });

  test('a tag in the template asks for a type explicitly', () => {
    expect(parse(render('#cloud-config\nvlan: !!int ${site:vlan}\n', { vlan: '42' })).vlan).toBe(42);
  });

  test('a placeholder in a map key is substituted too', () => {
    expect(parse(render('#cloud-config\n${site:k}: 1\n', { k: 'yes' }))).toEqual({ yes: 1 });
  });

  test('env secrets are reported for redaction', () => {
    const rendered = renderSite(compileTemplate('#cloud-config\nt: ${env:T}\n', 'tpl.yaml'), site({}, { T: 'tok' }));
    expect(rendered.secrets).toEqual(['tok']);
  });

  test('a missing value names the site, its row and line, the field and the template place', () => {
    const error = failure(() => render(TEMPLATE, { name: 'berlin' }, { TOKEN: 't' }));
    expect(error.code).toBe('site-missing-value');
    expect(error.message).toBe('sites.csv:2: site "berlin" (row 1): no value for ${site:city} (used at tpl.yaml:8)');
    expect(error.details).toMatchObject({ site: 'berlin', row: 1, line: 2, field: 'city', file: 'sites.csv' });
  });

  test('a missing environment variable is exit 2 naming it', () => {
    const error = failure(() => render(TEMPLATE, { name: 'b', city: 'c' }));
    expect(error.code).toBe('user-data-env');
    expect(error.details.variable).toBe('TOKEN');
  });

  test('a rendered document that is no longer valid names the site and the field, and hides secrets', () => {
    const template = '#cloud-config\nstylus:\n  ${site:k}: ${env:T}\n  x: 1\n';
    const error = failure(() => render(template, { k: 'x' }, { T: 'hunter2' }));
    expect(error.code).toBe('site-user-data');
    expect(error.message).toMatch(/^sites\.csv:2: site "site-1" \(row 1\): the rendered user-data is invalid/);
    expect(error.message).toContain('duplicate key');
    expect(error.message).not.toContain('hunter2');
  });

  test('the field on the offending line is named', () => {
    const error = failure(() => render('#cloud-config\nstylus:\n  ${site:k}: 1\n', { k: 'x'.repeat(2000) }));
    expect(error.code).toBe('site-user-data');
    expect(error.details.field).toBe('k');
  });
});

describe('compileTemplate', () => {
  test('collects the fields and environment names used, not those in comments', () => {
    const t = compileTemplate(TEMPLATE, 'tpl.yaml');
    expect([...t.fields].sort()).toEqual(['city', 'name']);
    expect([...t.envNames]).toEqual(['TOKEN']);
  });

  test.each([
    ['#cloud-config\nx: ${sit:name}\n', 'template-placeholder', 2],
    ['#cloud-config\nx: ${site:bad name}\n', 'template-placeholder', 2],
    ['stylus: {}\n', 'user-data-header', 1],
    ['#cloud-config\n- a\n', 'user-data-root', 2],
  ])('%j fails with %s at line %s', (template, code, line) => {
    const error = failure(() => compileTemplate(template, 'tpl.yaml'));
    expect(error.code).toBe(code);
    expect(error.details.line).toBe(line);
  });

  test('an unquoted placeholder in a flow map gets a fix that says to quote it', () => {
    const error = failure(() => compileTemplate('#cloud-config\ntags: {city: ${site:city}}\n', 'tpl.yaml'));
    expect(error.fix).toMatch(/quote placeholders/);
  });
});

describe('yamlQuote', () => {
  test.each([
    ['plain', '"plain"'],
    ['a"b', '"a\\"b"'],
    ['\u0085', '"\\u0085"'],
    ['\u2028', '"\\u2028"'],
    ['\n', '"\\n"'],
  ])('%j → %s', (value, quoted) => expect(yamlQuote(value)).toBe(quoted));
});
