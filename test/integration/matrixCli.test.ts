/**
 * `edgebuild matrix` as a subprocess (run `npm run build` first): default
 * selection of build-configs/*.yaml, explicit files, exit 2 on a bad config,
 * and the `matrix` step output under GitHub Actions.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { runCli } from './cli.js';

// runCli passes a minimal environment, so a run of these tests under GitHub Actions does not see its own GITHUB_* variables.
const edgebuild = (cwd: string, args: string[], env: Record<string, string> = {}) => runCli(args, { cwd, env });

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgebuild-matrix-'));
  mkdirSync(join(dir, 'build-configs'));
  const put = (name: string, text: string) => writeFileSync(join(dir, 'build-configs', name), text);
  put('lab.yaml', 'canvos:\n  tag: v4.5.15\nuserData: ../user-data/lab.yaml\n');
  put('edge.yml', 'name: edge-rke2\ncanvos:\n  tag: latest\ntarget: +iso\narg:\n  K8S_DISTRIBUTION: rke2\n');
  put('registries.yaml', 'distribution: k3s\nmirrors: {}\n');
  put('registries.schema.json', '{}');
  put('build-config.schema.json', '{}');
  put('notes.txt', 'not YAML');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('edgebuild matrix', () => {
  test('default: every build config in build-configs/, sorted, other YAML skipped with a note', async () => {
    const r = await edgebuild(dir, ['matrix']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(r.stdout)).toEqual({
      include: [
        { config: 'build-configs/edge.yml', name: 'edge-rke2', tag: 'latest', target: '+iso' },
        { config: 'build-configs/lab.yaml', name: 'lab', tag: 'v4.5.15', target: '+iso' },
      ],
    });
    expect(r.stderr).toContain('skipping build-configs/registries.yaml: registries.schema.json beside it describes it');
  });

  test('--json prints one indented document', async () => {
    const r = await edgebuild(dir, ['matrix', '--json']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('\n  "include": [');
    expect(JSON.parse(r.stdout).include).toHaveLength(2);
  });

  test('files named on the command line, in the order given', async () => {
    const r = await edgebuild(dir, ['matrix', 'build-configs/lab.yaml', 'build-configs/edge.yml']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).include.map((e: { name: string }) => e.name)).toEqual(['lab', 'edge-rke2']);
  });

  test('a named non-build file is validated as a build config: exit 2 naming it', async () => {
    const r = await edgebuild(dir, ['matrix', 'build-configs/registries.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: build-configs\/registries\.yaml:1:1: unknown key "distribution"/m);
  });

  test('an invalid build config in the folder is exit 2 naming file, line and column', async () => {
    writeFileSync(join(dir, 'build-configs', 'typo.yaml'), 'canvos:\n  tag: v4.5.15\ntagret: +iso\n');
    const r = await edgebuild(dir, ['matrix', '--json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('build-configs/typo.yaml:3:1: unknown key "tagret"');
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'error', error: { code: 'config-invalid', file: 'build-configs/typo.yaml', line: 3 } });
  });

  test('a config without canvos.tag is exit 2', async () => {
    writeFileSync(join(dir, 'build-configs', 'untagged.yaml'), 'name: untagged\n');
    const r = await edgebuild(dir, ['matrix']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('build-configs/untagged.yaml: canvos.tag is not set');
  });

  test('no build-configs/ folder is exit 2', async () => {
    rmSync(join(dir, 'build-configs'), { recursive: true });
    const r = await edgebuild(dir, ['matrix']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('build-configs/ does not exist');
  });

  test('under GitHub Actions the matrix is also the step output "matrix"', async () => {
    const output = join(dir, 'github-output');
    writeFileSync(output, '');
    const r = await edgebuild(dir, ['matrix'], { GITHUB_ACTIONS: 'true', GITHUB_OUTPUT: output });
    expect(r.code).toBe(0);
    const match = /^matrix<<(\S+)\n(.*)\n\1\n$/.exec(readFileSync(output, 'utf8'));
    expect(match).not.toBeNull();
    expect(JSON.parse(match![2]!)).toEqual(JSON.parse(r.stdout));
  });
});
