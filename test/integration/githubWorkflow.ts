/** Reading the project's workflow and action files in tests, and running their `run:` scripts as the runner would. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

export const ROOT = resolve(import.meta.dirname, '../..');

export interface Step {
  id?: string;
  name?: string;
  uses?: string;
  if?: string;
  run?: string;
  shell?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
  'working-directory'?: string;
}

export interface Job {
  'runs-on': unknown;
  'timeout-minutes'?: number;
  permissions?: Record<string, string>;
  needs?: string | string[];
  if?: string;
  strategy?: { matrix?: unknown };
  outputs?: Record<string, string>;
  steps: Step[];
}

export interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  concurrency?: { group: string; 'cancel-in-progress'?: unknown };
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

export function readYaml<T>(path: string): { text: string; data: T } {
  const text = readFileSync(join(ROOT, path), 'utf8');
  return { text, data: parse(text) as T };
}

/** Runs a step's script the way GitHub runs `shell: bash` (bash --noprofile --norc -eo pipefail). */
export function runScript(script: string, options: { cwd: string; env: Record<string, string | undefined> }) {
  const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `name<<DELIM\nvalue\nDELIM` and `name=value` lines of a $GITHUB_OUTPUT file. */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const multi = /^([\w-]+)<<(.+)$/.exec(line);
    if (multi) {
      const end = lines.indexOf(multi[2]!, i + 1);
      outputs[multi[1]!] = lines.slice(i + 1, end).join('\n');
      i = end;
    } else if (line.includes('=')) {
      outputs[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return outputs;
}

/** Every `uses:` must name a major version at least (or a full commit). */
export const PINNED = /^[\w.-]+\/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/;
