import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parse, stringify } from 'yaml';
import { InputError } from '../../src/errors.js';
import { expectInputError } from './inputErrors.js';
import { prepareUserData } from '../../src/core/userData/prepare.js';

const env = { EDGE_HOST_TOKEN: 'tok-123', EMPTY: '' };
const prep = (text: string, keepWebhook = false) => prepareUserData(text, 'user-data.yaml', { env, keepWebhook });

describe('webhook injection', () => {
  test.each([
    ['absent stylus', '#cloud-config\ninstall:\n  poweroff: true\n', '#cloud-config\ninstall:\n  poweroff: true\nstylus:\n  imageRedirectWebhook:\n    enable: false\n'],
    ['stylus without the hook', '#cloud-config\nstylus:\n  site:\n    paletteEndpoint: a.example\n', '#cloud-config\nstylus:\n  site:\n    paletteEndpoint: a.example\n  imageRedirectWebhook:\n    enable: false\n'],
    ['enable: true, comment kept', '#cloud-config\nstylus:\n  imageRedirectWebhook:\n    enable: true # on\n', '#cloud-config\nstylus:\n  imageRedirectWebhook:\n    enable: false # on\n'],
    ['the string "false" becomes a boolean', '#cloud-config\nstylus:\n  imageRedirectWebhook:\n    enable: "false"\n', '#cloud-config\nstylus:\n  imageRedirectWebhook:\n    enable: false\n'],
    ['empty stylus', '#cloud-config\nstylus:\n', '#cloud-config\nstylus:\n  imageRedirectWebhook:\n    enable: false\n'],
    ['flow mapping', '#cloud-config\nstylus: {imageRedirectWebhook: {enable: true}}\n', '#cloud-config\nstylus: {imageRedirectWebhook: {enable: false}}\n'],
  ])('%s', (_, input, expected) => {
    const result = prep(input);
    expect(result.text).toBe(expected);
    expect(result.imageRedirectWebhook).toBe(false);
  });

  test('already false: the file goes through byte for byte', () => {
    const input = '#cloud-config\n# keep   this\nstylus:\n  imageRedirectWebhook:\n    enable:   false\nz: 1\na: 2\n';
    expect(prep(input).text).toBe(input);
  });

  test('--keep-webhook leaves the value alone and reports it', () => {
    const input = '#cloud-config\nstylus:\n  imageRedirectWebhook:\n    enable: true\n';
    const result = prep(input, true);
    expect(result.text).toBe(input);
    expect(result.imageRedirectWebhook).toBe(true);
  });
});

// The issue-10 table, row by row: the output is the input with exactly the
// documented splice, so the edge host's YAML 1.1 reader sees what was written.
const HOOK = '  imageRedirectWebhook:\n    enable: false\n';
const STYLUS = `stylus:\n${HOOK}`;
const YIP = '#cloud-config\nstages:\n  initramfs:\n    - files:\n        - path: /etc/ssh/sshd_config.d/x.conf\n          permissions: 0644\n          content: hi\n        - path: /root/.ssh/key\n          permissions: 0600\n      commands: [chmod 0755 /x]\n    - name: b\n      permissions: 0755\n';

describe('user-data means what the user wrote, plus one key (issue 10)', () => {
  test.each([
    ['permissions 0644 / 0600 / 0755 stay octal', YIP, YIP + STYLUS],
    ['big integers stay as written', '#cloud-config\nserial: 123456789012345678901234567890\nb: 9007199254740993\n', `#cloud-config\nserial: 123456789012345678901234567890\nb: 9007199254740993\n${STYLUS}`],
    ['012 and 08 stay as written', '#cloud-config\nd: 012\nh: 08\n', `#cloud-config\nd: 012\nh: 08\n${STYLUS}`],
    ['a flow map and its comment stay', '#cloud-config\ntags: {site: lab-7, env: dev}   # comment\n', `#cloud-config\ntags: {site: lab-7, env: dev}   # comment\n${STYLUS}`],
    ['enable: &on true aliased by reboot: *on: the anchor moves to the alias', '#cloud-config\nstylus:\n  imageRedirectWebhook:\n    enable: &on true # on\ninstall:\n  reboot: *on\n  poweroff: *on\n', '#cloud-config\nstylus:\n  imageRedirectWebhook:\n    enable: false # on\ninstall:\n  reboot: &on true\n  poweroff: *on\n'],
    ['stylus: {<<: *b} where *b has no webhook: the key is added after the merge', '#cloud-config\nb: &b\n  site: {foo: 1}\nstylus: {<<: *b}\n', '#cloud-config\nb: &b\n  site: {foo: 1}\nstylus: {<<: *b, imageRedirectWebhook: {enable: false}}\n'],
    ['a merged enable is overridden by a key written after the merge', '#cloud-config\nh: &h {enable: true, foo: 1}\nstylus:\n  imageRedirectWebhook:\n    <<: *h\n', '#cloud-config\nh: &h {enable: true, foo: 1}\nstylus:\n  imageRedirectWebhook:\n    <<: *h\n    enable: false\n'],
    ['enable: *t: the alias is replaced, &t keeps its value', '#cloud-config\nt: &t true\nstylus:\n  imageRedirectWebhook:\n    enable: *t\n', '#cloud-config\nt: &t true\nstylus:\n  imageRedirectWebhook:\n    enable: false\n'],
    ['already false through an alias of the whole mapping: byte for byte', '#cloud-config\ns: &s {imageRedirectWebhook: {enable: false}}\nstylus: *s\n', '#cloud-config\ns: &s {imageRedirectWebhook: {enable: false}}\nstylus: *s\n'],
    ['stylus: {a: 1}', '#cloud-config\nstylus: {a: 1}\n', '#cloud-config\nstylus: {a: 1, imageRedirectWebhook: {enable: false}}\n'],
    ['stylus: {}', '#cloud-config\nstylus: {}\n', '#cloud-config\nstylus: {imageRedirectWebhook: {enable: false}}\n'],
    ['a root flow map', '#cloud-config\n{a: 0644}\n', '#cloud-config\n{a: 0644, stylus: {imageRedirectWebhook: {enable: false}}}\n'],
    ['empty stylus with a comment, keys after it', '#cloud-config\nstylus: # c\nb: 1\n', `#cloud-config\nstylus: # c\n${HOOK}b: 1\n`],
    ['imageRedirectWebhook: ~', '#cloud-config\nstylus:\n  imageRedirectWebhook: ~ # c\n', '#cloud-config\nstylus:\n  imageRedirectWebhook: {enable: false} # c\n'],
    ['enable: !!str yes loses its tag', '#cloud-config\nstylus:\n  imageRedirectWebhook: {enable: !!str yes}\n', '#cloud-config\nstylus:\n  imageRedirectWebhook: {enable: false}\n'],
    ['enable: no (false only in YAML 1.1) becomes false', '#cloud-config\nstylus:\n  imageRedirectWebhook:\n    enable: no\n', '#cloud-config\nstylus:\n  imageRedirectWebhook:\n    enable: false\n'],
    ['CRLF', '#cloud-config\r\ninstall:\r\n  poweroff: true\r\nstylus:\r\n  site:\r\n    x: 1\r\n', '#cloud-config\r\ninstall:\r\n  poweroff: true\r\nstylus:\r\n  site:\r\n    x: 1\r\n  imageRedirectWebhook:\r\n    enable: false\r\n'],
    ['no trailing newline', '#cloud-config\nstylus:\n  site:\n    x: 1', '#cloud-config\nstylus:\n  site:\n    x: 1\n  imageRedirectWebhook:\n    enable: false'],
    ['document end marker', '#cloud-config\na: 1\n...\n', `#cloud-config\na: 1\n${STYLUS}...\n`],
    ['the file\'s own indentation', '#cloud-config\nstylus:\n    site:\n        x: 1\n', '#cloud-config\nstylus:\n    site:\n        x: 1\n    imageRedirectWebhook:\n        enable: false\n'],
    ['a block scalar ending the file without a line break keeps its value: the key goes before it', '#cloud-config\nstylus:\n  x: 1\n  site: |\n    text', '#cloud-config\nstylus:\n  x: 1\n  imageRedirectWebhook:\n    enable: false\n  site: |\n    text'],
    ['a last block scalar keeps its kept line breaks', '#cloud-config\nstylus:\n  site:\n    script: |+\n      echo\n\n\n', '#cloud-config\nstylus:\n  site:\n    script: |+\n      echo\n\n\n  imageRedirectWebhook:\n    enable: false\n'],
  ])('%s', (_, input, expected) => {
    expect(prep(input).text).toBe(expected);
  });

  test('${env:V} with V = yes, on, NO, 1:30, 1_000, 0b101, 2001-12-14 becomes a double-quoted string', () => {
    const values = ['yes', 'on', 'NO', '1:30', '1_000', '0b101', '2001-12-14'];
    const input = `#cloud-config\nstylus:\n  imageRedirectWebhook:\n    enable: false\n  site:\n${values.map((_, i) => `    k${i}: \${env:V${i}}\n`).join('')}`;
    const result = prepareUserData(input, 'u', { env: Object.fromEntries(values.map((v, i) => [`V${i}`, v])) });
    expect(result.text).toBe(input.replace(/\$\{env:V(\d)\}/g, (_, i: string) => `"${values[Number(i)]}"`));
  });

  test('each ${env:} scalar becomes one double-quoted string holding exactly the resulting text; the rest stays', () => {
    const input = [
      '#cloud-config',
      'stylus:',
      '  imageRedirectWebhook: {enable: false}',
      '  site:',
      '    t: "x ${env:T}"',
      '    blk: |+ # keep',
      '      line ${env:T}',
      '',
      '    fold: >-',
      '      a ${env:Y}',
      '      b',
      '    tagged: !!str ${env:Y}',
      '    anch: &k ${env:Y}',
      '    use: *k',
      '    ${env:Y}: keys are not substituted',
      '    empty: ${env:E}',
      '    multi: a',
      '      ${env:Y} b',
      '    lit: $${env:Y}',
      '',
    ].join('\n');
    const T = 'tok "q" \\ \n\t\u0001 é \u0085 \u2028';
    const result = prepareUserData(input, 'u', { env: { T, Y: 'yes', E: '' } });
    const q = 'tok \\"q\\" \\\\ \\n\\t\\u0001 é \\u0085 \\u2028';
    expect(result.text).toBe(
      input
        .replace('"x ${env:T}"', `"x ${q}"`)
        .replace('|+ # keep\n      line ${env:T}\n\n', `"line ${q}\\n\\n" # keep\n\n`)
        .replace('>-\n      a ${env:Y}\n      b\n', '"a yes b"\n')
        .replace('!!str ${env:Y}', '!!str "yes"')
        .replace('&k ${env:Y}', '&k "yes"')
        .replace('${env:E}', '""')
        .replace('a\n      ${env:Y} b', '"a yes b"')
        .replace('$${env:Y}', '"${env:Y}"'),
    );
    expect([...new Set(result.secrets)].sort()).toEqual([T, 'yes'].sort());
    // The anchor's definition is what changed: its alias reads the substituted string too.
    const read = parse(result.text, { version: '1.1' }) as { stylus: { site: Record<string, unknown> } };
    expect(read.stylus.site).toMatchObject({ anch: 'yes', use: 'yes', tagged: 'yes', t: `x ${T}`, '${env:Y}': 'keys are not substituted' });
  });

  test.each([
    ['root <<: *d supplying stylus', '#cloud-config\nd: &d\n  stylus:\n    site: {paletteEndpoint: api.example, edgeHostToken: t}\n<<: *d\n', /^u:5:1: stylus comes from the merge key "<<" here; a new stylus: .* would hide the merged one/],
    ['stylus: {<<: *b} where *b holds imageRedirectWebhook.foo', '#cloud-config\nb: &b\n  imageRedirectWebhook: {foo: 1}\nstylus: {<<: *b}\n', /^u:4:10: stylus\.imageRedirectWebhook comes from the merge key "<<" here/],
    ['stylus: *s (an alias of a whole mapping)', '#cloud-config\ns: &s {site: {a: 1}}\nstylus: *s\n', /^u:3:9: stylus is an alias \(\*s\) of the mapping at 2:7/],
    ['stylus aliased elsewhere', '#cloud-config\nstylus: &s\n  site: {a: 1}\nother: *s\n', /^u:2:1: stylus carries the anchor &s, used at 4:8/],
    ['stylus merged elsewhere', '#cloud-config\nstylus: &s\n  site: {a: 1}\nother: {<<: *s}\n', /^u:2:1: stylus carries the anchor &s, used at 4:13/],
    ['enable before a "<<" that also supplies it', '#cloud-config\nh: &h {enable: true}\nstylus:\n  imageRedirectWebhook:\n    enable: true\n    <<: *h\n', /^u:5:5: stylus\.imageRedirectWebhook\.enable is written before a merge key "<<" \(6:5\)/],
    ['an aliased multi-line enable', '#cloud-config\nstylus:\n  imageRedirectWebhook:\n    enable: &on "tr\n      ue"\nx: *on\n', /^u:4:17: stylus\.imageRedirectWebhook\.enable carries the anchor &on, used at 6:4, and its value cannot move there/],
  ])('%s: exit 2 with the place and how to write it', (_, input, message) => {
    expectInputError(() => prepareUserData(input, 'u', { env }), message);
  });

  test('--keep-webhook: an anchored, aliased enable stays as written', () => {
    const input = '#cloud-config\nstylus:\n  imageRedirectWebhook:\n    enable: &on true\nx: *on\n';
    expect(prep(input, true).text).toBe(input);
  });
});

describe('${env:NAME} secrets', () => {
  test('are substituted, typed as strings, and reported as secrets', () => {
    const result = prepareUserData('#cloud-config\nstylus:\n  site:\n    edgeHostToken: ${env:T}\n    port: ${env:P}\n    url: https://${env:H}/x\n    lit: $${env:T}\n', 'u', {
      env: { T: 'a: #b', P: '0123', H: 'h.example' },
    });
    const data = parse(result.text) as { stylus: { site: Record<string, unknown> } };
    expect(data.stylus.site).toEqual({ edgeHostToken: 'a: #b', port: '0123', url: 'https://h.example/x', lit: '${env:T}' });
    expect(result.secrets.sort()).toEqual(['0123', 'a: #b', 'h.example']);
  });

  test('an unset variable is exit 2 naming it and the place', () => {
    const run = () => prep('#cloud-config\nstylus:\n  site:\n    edgeHostToken: ${env:NOPE}\n');
    expect(run).toThrow(InputError);
    expect(run).toThrow(/^user-data\.yaml:4:20: environment variable NOPE is not set$/);
  });
});

describe('warnings', () => {
  test.each([
    ['#cloud-config\nstylus:\n  site:\n    edgeHostToken: XXXXXXXXXXXX\n    paletteEndpoint: api.example\n', /edgeHostToken looks like a placeholder/],
    ['#cloud-config\nstylus:\n  site:\n    edgeHostToken: ${env:EDGE_HOST_TOKEN}\n', /paletteEndpoint is not set/],
  ])('%j', (input, warning) => {
    const result = prep(input);
    expect(result.warnings).toEqual([expect.stringMatching(warning)]);
  });

  test('a complete file has none', () => {
    expect(prep('#cloud-config\nstylus:\n  site:\n    edgeHostToken: ${env:EDGE_HOST_TOKEN}\n    paletteEndpoint: api.example\n').warnings).toEqual([]);
  });
});

// Random mappings: the injection changes exactly one path and is idempotent.
const key = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9_-]{0,8}$/).filter((k) => k !== 'stylus');
const scalar = fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.boolean(), fc.constant(null), fc.constantFrom('yes', 'no', '0123', '1e3', 'a: b', '#x', "'q'", '"q"', 'null'));
const value = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(key, tie('node'), { maxKeys: 3 })),
})).node;
const hook = fc.option(fc.record({ enable: fc.oneof(fc.boolean(), fc.constantFrom('true', 'false')) }, { requiredKeys: [] }), { nil: undefined });
const document = fc.record({
  rest: fc.dictionary(key, value, { maxKeys: 5 }),
  stylus: fc.option(fc.record({ site: fc.dictionary(key, scalar, { maxKeys: 3 }), imageRedirectWebhook: hook }, { requiredKeys: [] }), { nil: undefined }),
});

describe('properties', () => {
  test('every other path is unchanged, enable is false, and a second pass changes nothing', () => {
    fc.assert(
      fc.property(document, ({ rest, stylus }) => {
        const data: Record<string, unknown> = { ...rest };
        if (stylus) data.stylus = JSON.parse(JSON.stringify(stylus)) as unknown;
        const input = `#cloud-config\n${stringify(data)}`;
        const first = prep(input);
        const out = parse(first.text) as Record<string, unknown>;
        const expected = JSON.parse(JSON.stringify(data)) as Record<string, Record<string, Record<string, unknown>>>;
        expected.stylus ??= {};
        expected.stylus.imageRedirectWebhook = { ...expected.stylus.imageRedirectWebhook, enable: false };
        expect(out).toEqual(expected);
        expect(first.text.startsWith('#cloud-config\n')).toBe(true);
        expect(prep(first.text).text).toBe(first.text);
      }),
    );
  });
});
