import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { listJson } from '../../src/core/prettyJson.js';

function pieces(document: Record<string, unknown>, key: string): string {
  const list = document[key] as unknown[];
  const json = listJson(document, key);
  return json.before + list.map((v, i) => json.item(v, i)).join('') + json.after(list.length);
}

describe('listJson', () => {
  test('a sites.json in pieces is the same text as in one piece', () => {
    const manifest = { volumeId: 'cidata', createdAt: '2026-01-01T00:00:00.000Z', sites: [{ name: 'a', file: 'a.iso', size: 358400, sha256: 'ab' }, { name: 'b "x"\n', file: 'b.iso', size: 1, sha256: 'cd' }] };
    expect(pieces(manifest, 'sites')).toBe(JSON.stringify(manifest, null, 2));
  });

  test('an empty list is [] as in one piece', () => {
    expect(pieces({ a: 1, sites: [], b: { c: [] } }, 'sites')).toBe(JSON.stringify({ a: 1, sites: [], b: { c: [] } }, null, 2));
  });

  test('property: any document, the list anywhere among its keys, reads the same in pieces', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.array(fc.jsonValue()), fc.nat(), (rest, list, place) => {
        const keys = Object.keys(rest).filter((k) => k !== 'list');
        const at = place % (keys.length + 1);
        const document = Object.fromEntries([...keys.slice(0, at).map((k) => [k, rest[k]]), ['list', list], ...keys.slice(at).map((k) => [k, rest[k]])]);
        expect(pieces(document, 'list')).toBe(JSON.stringify(document, null, 2));
      }),
    );
  });
});
