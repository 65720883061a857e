/**
 * action.yml: actionlint checks workflows, not action metadata, so this test
 * checks what GitHub requires of a composite action and what edgebuild
 * promises (inputs, outputs), then runs its edgebuild step the way the
 * runner would against a fixture CanvOS repository (run `npm run build` first).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { isoOutputs } from '../../src/core/github/report.js';
import { createCanvosRepo, type FixtureRepo } from '../fixtures/canvosRepo.js';
import { PINNED, ROOT, parseOutputFile, readYaml, runScript, type Step } from './githubWorkflow.js';
import { SKIP_HOST_CHECKS } from './hostChecks.js';

interface Action {
  name: string;
  description: string;
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description: string; value: string }>;
  runs: { using: string; steps: Step[] };
}

const { text, data: action } = readYaml<Action>('action.yml');
const outputNames = Object.keys(isoOutputs({ status: 'planned' }));

describe('action.yml metadata', () => {
  test('name, description and a composite run', () => {
    expect(action.name).toBe('edgebuild');
    expect(action.description.length).toBeGreaterThan(10);
    expect(action.runs.using).toBe('composite');
    expect(action.runs.steps.length).toBeGreaterThan(0);
  });

  test('inputs config, tag, user-data, working-directory, node-version and args, each described', () => {
    expect(Object.keys(action.inputs).sort()).toEqual(['args', 'config', 'node-version', 'tag', 'user-data', 'working-directory']);
    for (const [name, input] of Object.entries(action.inputs)) {
      expect(input.description, name).toBeTruthy();
      expect(input.required ?? false, name).toBe(false);
    }
  });

  test('the same outputs as `edgebuild iso` writes, each mapped from the edgebuild step', () => {
    expect(Object.keys(action.outputs).sort()).toEqual([...outputNames].sort());
    for (const [name, output] of Object.entries(action.outputs)) {
      expect(output.description, name).toBeTruthy();
      expect(output.value).toBe(`\${{ steps.iso.outputs.${name} }}`);
    }
    expect(action.runs.steps.some((s) => s.id === 'iso')).toBe(true);
  });

  test('composite rules: every run step names its shell, actions are pinned, scripts get inputs only through env', () => {
    for (const step of action.runs.steps) {
      if (step.run) {
        expect(step.shell, step.name).toBe('bash');
        expect(step.run, step.name).not.toContain('${{');
      } else {
        expect(step.uses).toMatch(PINNED);
      }
    }
  });

  test('every input referenced is declared', () => {
    const referenced = [...text.matchAll(/inputs\.([\w-]+)/g)].map((m) => m[1]!);
    expect(referenced.length).toBeGreaterThan(0);
    for (const name of referenced) expect(Object.keys(action.inputs)).toContain(name);
  });
});

describe('the action\'s edgebuild step, run as the runner runs it', () => {
  let repo: FixtureRepo;
  let dir: string;
  beforeAll(() => {
    repo = createCanvosRepo([{ name: 'v4.5.15' }]);
    dir = mkdtempSync(join(tmpdir(), 'edgebuild-action-'));
    writeFileSync(join(dir, 'user-data.yaml'), '#cloud-config\nstylus:\n  site:\n    paletteEndpoint: api.example.invalid\n');
  });
  afterAll(() => {
    repo.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test('inputs become flags and the outputs land in $GITHUB_OUTPUT', () => {
    const step = action.runs.steps.find((s) => s.id === 'iso')!;
    const output = join(dir, 'output');
    writeFileSync(output, '');
    writeFileSync(join(dir, 'x-matches-the-glob'), ''); // so an unwanted expansion of x* would show
    const r = runScript(step.run!, {
      cwd: dir,
      env: {
        GITHUB_ACTIONS: 'true',
        GITHUB_OUTPUT: output,
        GITHUB_ACTION_PATH: ROOT,
        EDGEBUILD_CONFIG: '',
        EDGEBUILD_TAG: 'v4.5.15',
        EDGEBUILD_USER_DATA: 'user-data.yaml',
        // Split on whitespace; a glob character must reach edgebuild as it is.
        EDGEBUILD_ARGS: `--dry-run  --repo ${repo.url} --cache-dir cache --work-dir work --arg CUSTOM_TAG=x* ${SKIP_HOST_CHECKS.join(' ')}`,
      },
    });
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const outputs = parseOutputFile(readFileSync(output, 'utf8'));
    expect(Object.keys(outputs).sort()).toEqual([...outputNames].sort());
    expect(outputs).toMatchObject({ status: 'planned', tag: 'v4.5.15', commit: repo.commits['v4.5.15'], iso: '' });
    expect(readFileSync(join(dir, 'work', 'canvos', '.arg'), 'utf8')).toContain("CUSTOM_TAG='x*'");
  });
});
