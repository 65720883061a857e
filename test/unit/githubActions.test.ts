import { describe, expect, test } from 'vitest';
import { formatBytes, formatOutputs, isoOutputs, isoReport, isoSummary, type IsoResultShape } from '../../src/core/github/report.js';
import { appendToGithub } from '../../src/adapters/githubFiles.js';
import { RuntimeError } from '../../src/errors.js';

const built: IsoResultShape = {
  status: 'built',
  tag: 'v4.5.15',
  commit: '0123456789abcdef0123456789abcdef01234567',
  peVersion: 'v4.5.15',
  artifacts: [
    { path: 'dist/palette-edge-installer.iso', sha256: 'a'.repeat(64), size: 3 * 1024 ** 3 },
    { path: 'dist/palette-edge-installer.iso.sha256', sha256: 'b'.repeat(64), size: 95 },
  ],
  manifest: 'dist/manifest.json',
  log: '.edgebuild/build.log',
  durationMs: 61_400,
};

describe('isoOutputs', () => {
  test.each<[string, IsoResultShape, Record<string, string>]>([
    [
      'planned (dry run): no artifacts yet',
      { status: 'planned', tag: 'v4.5.15', commit: 'abc', peVersion: null },
      { status: 'planned', tag: 'v4.5.15', commit: 'abc', 'pe-version': '', iso: '', sha256: '', manifest: '', log: '', error: '' },
    ],
    [
      'built: the ISO, not its .sha256, is the iso output',
      built,
      {
        status: 'built',
        tag: 'v4.5.15',
        commit: built.commit!,
        'pe-version': 'v4.5.15',
        iso: 'dist/palette-edge-installer.iso',
        sha256: 'a'.repeat(64),
        manifest: 'dist/manifest.json',
        log: '.edgebuild/build.log',
        error: '',
      },
    ],
    ['status only', { status: 'up-to-date' }, { status: 'up-to-date', tag: '', commit: '', 'pe-version': '', iso: '', sha256: '', manifest: '', log: '', error: '' }],
    [
      'a failed run names its error',
      { status: 'error', tag: 'v4.5.0', error: 'tag v4.5.0 does not exist' },
      { status: 'error', tag: 'v4.5.0', commit: '', 'pe-version': '', iso: '', sha256: '', manifest: '', log: '', error: 'tag v4.5.0 does not exist' },
    ],
  ])('%s', (_name, result, expected) => {
    expect(isoOutputs(result)).toEqual(expected);
  });
});

describe('formatOutputs', () => {
  test('multiline-safe delimiter format', () => {
    expect(formatOutputs({ status: 'built', note: 'two\nlines' }, 'EOF_1')).toBe('status<<EOF_1\nbuilt\nEOF_1\nnote<<EOF_1\ntwo\nlines\nEOF_1\n');
  });
  test('empty values keep their line', () => {
    expect(formatOutputs({ iso: '' }, 'D')).toBe('iso<<D\n\nD\n');
  });
  test.each([
    ['a value containing the delimiter', { x: 'a\nD\nb' }],
    ['a name with a space', { 'bad name': 'v' }],
    ['a name with =', { 'a=b': 'v' }],
  ])('refuses %s', (_name, outputs) => {
    expect(() => formatOutputs(outputs, 'D')).toThrow();
  });
});

test.each([
  [0, '0 B'],
  [1023, '1023 B'],
  [1024, '1.00 KiB'],
  [1536 * 1024 * 1024, '1.50 GiB'],
])('formatBytes(%d) = %s', (bytes, text) => {
  expect(formatBytes(bytes)).toBe(text);
});

describe('isoSummary', () => {
  test('a built ISO: status, source, and one row per artifact', () => {
    const summary = isoSummary(built);
    expect(summary).toContain('| Status | **built** |');
    expect(summary).toContain('| CanvOS tag | `v4.5.15` |');
    expect(summary).toContain('| Duration | 61 s |');
    expect(summary).toContain(`| \`dist/palette-edge-installer.iso\` | 3.00 GiB | \`${'a'.repeat(64)}\` |`);
  });
  test('a plan has no artifact table and no empty rows', () => {
    const summary = isoSummary({ status: 'planned', tag: 'v4.5.15', peVersion: null });
    expect(summary).not.toContain('Artifact');
    expect(summary).not.toContain('PE_VERSION');
  });
  test('pipes and newlines cannot break the table', () => {
    const summary = isoSummary({ status: 'planned', tag: 'a|b\nc' });
    expect(summary).toContain('| CanvOS tag | `a\\|b c` |');
  });
});

describe('appendToGithub', () => {
  const report = isoReport({ status: 'planned', tag: 'v1' });
  const recorder = () => {
    const writes: [string, string][] = [];
    return { writes, append: async (path: string, data: string) => void writes.push([path, data]) };
  };

  test('does nothing outside GitHub Actions', async () => {
    const { writes, append } = recorder();
    expect(await appendToGithub({ GITHUB_OUTPUT: '/o', GITHUB_STEP_SUMMARY: '/s' }, report, append)).toEqual([]);
    expect(writes).toEqual([]);
  });

  test('appends outputs with a random delimiter, and the summary', async () => {
    const { writes, append } = recorder();
    const env = { GITHUB_ACTIONS: 'true', GITHUB_OUTPUT: '/o', GITHUB_STEP_SUMMARY: '/s' };
    expect(await appendToGithub(env, report, append)).toEqual(['/o', '/s']);
    const [output, summary] = writes;
    expect(output![0]).toBe('/o');
    expect(output![1]).toMatch(/^status<<(ghadelimiter_[0-9a-f-]{36})\nplanned\n\1\n/);
    expect(summary).toEqual(['/s', report.summary]);
  });

  test('only the files the runner set', async () => {
    const { writes, append } = recorder();
    await appendToGithub({ GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: '/s' }, report, append);
    expect(writes.map(([p]) => p)).toEqual(['/s']);
  });

  test('a failed write is a runtime error naming the file', async () => {
    const failing = async () => {
      throw new Error('EACCES');
    };
    await expect(appendToGithub({ GITHUB_ACTIONS: 'true', GITHUB_OUTPUT: '/o' }, report, failing)).rejects.toThrow(RuntimeError);
    await expect(appendToGithub({ GITHUB_ACTIONS: 'true', GITHUB_OUTPUT: '/o' }, report, failing)).rejects.toThrow(/\/o: EACCES/);
  });
});
