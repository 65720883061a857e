import { describe, expect, test } from 'vitest';
import { SiteResults, type SiteResult } from '../../src/core/sites/results.js';

const site = (i: number): SiteResult => ({ name: `site ${i}`, row: i + 1, line: i + 2, file: `site-${i}.iso`, size: 362496 + i * 2048, sha256: i.toString(16).padStart(64, 'f') });

describe('SiteResults', () => {
  test('gives back every result as pushed, in order, past its first growth', () => {
    const results = new SiteResults();
    const sites = Array.from({ length: 200 }, (_, i) => site(i));
    sites.forEach((s) => results.push(s));
    expect(results.length).toBe(200);
    expect([...results]).toEqual(sites);
    expect(results.first(3)).toEqual(sites.slice(0, 3));
    expect(JSON.stringify({ sites: results })).toBe(JSON.stringify({ sites }));
  });

  test('a sha256 that is not 64 hex digits is a programming error', () => {
    expect(() => new SiteResults().push({ ...site(1), sha256: 'xyz' })).toThrow(/not a sha256/);
  });

  test('cross a thread as a message (a structured clone) and come back whole', () => {
    const results = new SiteResults(3);
    const sites = Array.from({ length: 130 }, (_, i) => site(i));
    sites.forEach((s) => results.push(s));
    const back = SiteResults.fromMessage(structuredClone(results.toMessage()));
    expect([...back]).toEqual(sites);
    back.push(site(130)); // and take more
    expect(back.at(130)).toEqual(site(130));
    expect(SiteResults.fromMessage(structuredClone(new SiteResults(0).toMessage())).length).toBe(0);
  });

  test('a message of mismatched lengths is a programming error', () => {
    const message = new SiteResults().toMessage();
    expect(() => SiteResults.fromMessage({ ...message, names: ['x'] })).toThrow(/mismatched/);
  });
});
