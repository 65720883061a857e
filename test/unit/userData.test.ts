import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parse, stringify } from 'yaml';
import { InputError } from '../../src/errors.js';
import { prepareUserData } from '../../src/core/userData.js';

const env = { EDGE_HOST_TOKEN: 'tok-123', EMPTY: '' };
const prep = (text: string, keepWebhook = false) => prepareUserData(text, 'user-data.yaml', { env, keepWebhook });

describe('webhook injection', () => {
  test.each([
    ['absent stylus', '#cloud-config\ninstall:\n  poweroff: true\n', '#cloud-config\ninstall:\n  poweroff: true\nstylus:\n  imageRedirectWebhook:\n    enable: false\n'],
    ['stylus without the hook', '#cloud-config\nstylus:\n  site:\n    paletteEndpoint: a.example\n', '#cloud-config\nstylus:\n  site:\n    paletteEndpoint: a.example\n  imageRedirectWebhook:\n    enable: false\n'],
    ['enable: true, comment kept', '#cloud-config\nstylus:\n  imageRedirectWebhook:\n    enable: true # on\n', '#cloud-config\nstylus:\n  imageRedirectWebhook:\n    enable: false # on\n'],
    ['the string "false" becomes a boolean', '#cloud-config\nstylus:\n  imageRedirectWebhook:\n    enable: "false"\n', '#cloud-config\nstylus:\n  imageRedirectWebhook:\n    enable: false\n'],
    ['empty stylus', '#cloud-config\nstylus:\n', '#cloud-config\nstylus:\n  imageRedirectWebhook:\n    enable: false\n'],
    ['flow mapping', '#cloud-config\nstylus: {imageRedirectWebhook: {enable: true}}\n', '#cloud-config\nstylus: { imageRedirectWebhook: { enable: false } }\n'],
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
      { numRuns: 300 },
    );
  });
});
