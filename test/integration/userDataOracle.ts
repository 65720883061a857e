/**
 * What prepareUserData's output must mean to the edge host, computed from the
 * Go yaml.v2 oracle's reading of the input — never from our own YAML library:
 * the input's meaning with `stylus.imageRedirectWebhook.enable` set to the
 * boolean false (maps created where missing) and every string scalar holding
 * `${env:NAME}` replaced by the string it expands to.
 */
import { expect } from 'vitest';
import { InputError } from '../../src/errors.js';
import { mapGet, sortedCanon, type Canon, type GoYaml, type Reading } from './goYaml.js';

const WEBHOOK = ['stylus', 'imageRedirectWebhook', 'enable'] as const;

/** Values for `${namespace:NAME}`, e.g. { env: {...}, site: {...} }. */
export type Values = Record<string, Record<string, string>>;

/** `${env:NAME}` (`${site:FIELD}`) and the `$${` escape, as the README documents them (written out here, not imported). */
export function expandPlaceholders(text: string, values: Values): string {
  return text.replace(/\$\$\{|\$\{([a-z]+):([A-Za-z_][A-Za-z0-9_.-]*)\}/g, (match, namespace: string | undefined, name: string | undefined) => {
    if (match === '$${') return '${';
    const value = values[namespace!]?.[name!];
    if (value === undefined) throw new Error(`the test gives no value for ${match}`);
    return value;
  });
}

/** Every string value (not key) with a `${` in it: prepareUserData expands them. */
function substitutionSites(c: Canon, found: { str: string }[] = []): { str: string }[] {
  if (c === null) return found;
  if ('map' in c) for (const [, v] of c.map) substitutionSites(v, found);
  else if ('seq' in c) for (const v of c.seq) substitutionSites(v, found);
  else if ('str' in c && c.str.includes('${')) found.push(c);
  return found;
}

function replaceNodes(c: Canon, replace: Map<Canon, Canon>): Canon {
  if (c !== null && replace.has(c)) return replace.get(c)!;
  if (c === null) return c;
  if ('map' in c) return { map: c.map.map(([k, v]) => [k, replaceNodes(v, replace)]) };
  if ('seq' in c) return { seq: c.seq.map((v) => replaceNodes(v, replace)) };
  return c;
}

function setIn(c: Canon, path: readonly string[], value: Canon): Canon {
  if (path.length === 0) return value;
  const map = c !== null && 'map' in c ? c.map : [];
  if (c !== null && !('map' in c)) throw new Error(`expected a map or null on the way to ${path.join('.')}`);
  const [head, ...rest] = path;
  const index = map.findIndex(([k]) => k !== null && 'str' in k && k.str === head && !('time' in k));
  if (index === -1) return { map: [...map, [{ str: head! }, setIn(null, rest, value)]] };
  return { map: map.map((pair, i) => (i === index ? [pair[0], setIn(pair[1], rest, value)] : pair)) };
}

/** The strings the input's placeholders expand to, to ask the oracle about in one batch. */
export function expandedStrings(input: Canon, values: Values): string[] {
  return substitutionSites(input).map((s) => expandPlaceholders(s.str, values));
}

/** The input's meaning with every placeholder-holding string scalar replaced by the string it expands to. */
export function substitutedMeaning(input: Canon, values: Values, go: GoYaml): Canon {
  const sites = substitutionSites(input);
  const meanings = go.strings(expandedStrings(input, values));
  return sortedCanon(replaceNodes(input, new Map(sites.map((s, i) => [s as Canon, meanings[i]!]))));
}

/** The meaning the output must have, from the oracle's reading of the input. */
export function expectedMeaning(input: Canon, env: Record<string, string>, go: GoYaml): Canon {
  return sortedCanon(setIn(substitutedMeaning(input, { env }, go), WEBHOOK, { bool: false }));
}

/**
 * The output's meaning, comparable with expectedMeaning: the webhook switch
 * only has to be the boolean false (its spelling, `false` or `off`, is free).
 */
export function actualMeaning(output: Canon): Canon {
  const enable = WEBHOOK.reduce<Canon | undefined>((c, key) => (c === undefined ? undefined : mapGet(c, key)), output);
  const normalised = enable !== undefined && enable !== null && 'bool' in enable ? setIn(output, WEBHOOK, { bool: enable.bool }) : output;
  return sortedCanon(normalised);
}

/** The single document yaml.v2 read, failing the test with the reader's own message otherwise. */
export function onlyDocument(reading: Reading, what: string): Canon {
  expect(reading.error, `yaml.v2 rejects the ${what} ${reading.file}`).toBeUndefined();
  expect(reading.docs, `${what} ${reading.file}`).toHaveLength(1);
  return reading.docs![0]!;
}

/** An exit-2 refusal that says where: file:line:col in its details. */
export function expectRefusalWithPlace(error: unknown): void {
  expect(error).toBeInstanceOf(InputError);
  const e = error as InputError;
  expect(e.exitCode).toBe(2);
  expect(e.details.line, e.message).toEqual(expect.any(Number));
}
