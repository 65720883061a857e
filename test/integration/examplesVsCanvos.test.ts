/**
 * The user-data examples use only fields CanvOS's own user-data.template
 * documents. test/fixtures/canvos/user-data.template is that file, verbatim,
 * from CanvOS v4.10.0 (commit 21123f7157a915936a3737ad59d5ff045a6c2709,
 * Apache-2.0). Map keys that are names (tags, interfaces) match any name.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, test } from 'vitest';
import { parse } from 'yaml';
import { fencedBlocks } from './docBlocks.js';

const ROOT = resolve(import.meta.dirname, '../..');
/** Paths whose keys are the user's names, not fields. */
const NAMED = ['stylus.site.tags', 'stylus.site.network.interfaces'];

function keyPaths(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([key, child]) => {
    const path = NAMED.includes(prefix) ? `${prefix}.*` : prefix ? `${prefix}.${key}` : key;
    return [path, ...keyPaths(child, path)];
  });
}

const documented = new Set(keyPaths(parse(readFileSync(join(ROOT, 'test/fixtures/canvos/user-data.template'), 'utf8'))));
// edgebuild's own field (the webhook it turns off) is documented by Palette, not this template.
const OURS = /^stylus\.imageRedirectWebhook(\.|$)/;

const examples: [string, string][] = [
  ['user-data/default.yaml', readFileSync(join(ROOT, 'user-data/default.yaml'), 'utf8')],
  ...fencedBlocks('docs/sites.md', readFileSync(join(ROOT, 'docs/sites.md'), 'utf8'))
    .filter((b) => b.lang === 'yaml' && b.text.startsWith('#cloud-config'))
    .map((b): [string, string] => [`docs/sites.md:${b.line}`, b.text]),
];

test('the template is read: it documents the site fields', () => {
  expect(documented).toContain('stylus.site.network.interfaces.*.ipAddress');
  expect(documented).toContain('stylus.site.name');
  expect(examples.length).toBe(2);
});

test.each(examples)('%s uses only stylus fields the CanvOS template documents', (_name, text) => {
  const stylus = keyPaths(parse(text)).filter((p) => p.startsWith('stylus') && !OURS.test(p));
  expect(stylus.filter((p) => !documented.has(p))).toEqual([]);
});

test('the installer example names no host: each host is named from its serial number', () => {
  const doc = parse(readFileSync(join(ROOT, 'user-data/default.yaml'), 'utf8')) as { stylus: { site: Record<string, unknown> } };
  expect(doc.stylus.site).not.toHaveProperty('name');
});
