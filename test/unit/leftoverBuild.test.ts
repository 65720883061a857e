import { describe, expect, test } from 'vitest';
import { leftoverMembers, parseBuildRecord, type BuildRecord } from '../../src/core/build/leftovers.js';
import { isSameProcess, parseStat, type ProcessInfo } from '../../src/core/processIdentity.js';

const BOOT = 'b00t';
const record: BuildRecord = {
  edgebuild: { pid: 100, startTime: 5_000, bootId: BOOT },
  group: { pid: 200, startTime: 5_100, bootId: BOOT },
  engine: 'ENGINE',
  containersBefore: ['c1'],
  startedAt: '2026-01-01T00:00:00.000Z',
};
const proc = (pid: number, pgid: number, startTime: number, name = 'sleep'): ProcessInfo => ({ pid, ppid: 1, pgid, startTime, name });

describe('parseStat', () => {
  test('reads ppid, pgid and start time after a name holding spaces and parentheses', () => {
    const stat = '4242 (a) b (c)) S 1 4200 4200 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10 18446744073709551615';
    expect(parseStat(4242, stat)).toEqual({ pid: 4242, ppid: 1, pgid: 4200, startTime: 987654, name: 'a) b (c)' });
  });

  test('rejects what is not a stat line', () => {
    expect(parseStat(1, '')).toBeUndefined();
    expect(parseStat(1, '1 (x) S')).toBeUndefined();
  });
});

describe('isSameProcess', () => {
  test('needs the same pid, start time and boot', () => {
    const id = { pid: 7, startTime: 70, bootId: BOOT };
    expect(isSameProcess(id, proc(7, 7, 70), BOOT)).toBe(true);
    expect(isSameProcess(id, proc(7, 7, 71), BOOT)).toBe(false); // pid reused
    expect(isSameProcess(id, proc(7, 7, 70), 'other')).toBe(false); // rebooted
    expect(isSameProcess(id, undefined, BOOT)).toBe(false); // gone
  });
});

describe('leftoverMembers', () => {
  test('the members of the recorded group, leader alive or not', () => {
    const members = [proc(200, 200, 5_100, 'node'), proc(201, 200, 5_200, 'bash'), proc(202, 200, 5_300, 'docker')];
    const others = [proc(300, 300, 6_000), proc(1, 1, 0, 'init')];
    expect(leftoverMembers(record, [...members, ...others], BOOT)).toEqual(members);
    expect(leftoverMembers(record, [...members.slice(1), ...others], BOOT)).toEqual(members.slice(1));
  });

  test('nothing when the group id now names another process, or after a reboot', () => {
    expect(leftoverMembers(record, [proc(200, 200, 9_000), proc(201, 200, 9_100)], BOOT)).toEqual([]);
    expect(leftoverMembers(record, [proc(200, 200, 5_100), proc(201, 200, 5_200)], 'rebooted')).toEqual([]);
  });

  test('never a process older than the recorded group', () => {
    expect(leftoverMembers(record, [proc(201, 200, 4_000)], BOOT)).toEqual([]);
  });
});

describe('parseBuildRecord', () => {
  test('reads back what was written', () => {
    expect(parseBuildRecord(JSON.stringify(record))).toEqual(record);
  });

  test.each([[''], ['{'], ['null'], ['[]'], [JSON.stringify({ ...record, group: { pid: 0, startTime: 1, bootId: BOOT } })], [JSON.stringify({ ...record, containersBefore: [1] })], [JSON.stringify({ ...record, engine: undefined })]])(
    'is undefined for %s',
    (text) => expect(parseBuildRecord(text)).toBeUndefined(),
  );
});
