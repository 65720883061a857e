/**
 * The layer rules in eslint.config.js are part of the design: this proves they
 * catch a forbidden import in each layer, and let an allowed one through.
 */
import { ESLint } from 'eslint';
import { describe, expect, test } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

async function messages(filePath: string, code: string, rule: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.filter((m) => m.ruleId === rule).map((m) => m.message);
}

const restricted = (filePath: string, code: string) => messages(filePath, code, 'no-restricted-imports');

describe('layer rules', () => {
  test.each([
    ['src/core/x.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n"],
    ['src/core/x.ts', "import { execa } from 'execa';\nexport const x = execa;\n"],
    ['src/core/x.ts', "import { openIso } from '../adapters/iso.js';\nexport const x = openIso;\n"],
    ['src/core/registries/x.ts', "import { run } from '../../cli/run.js';\nexport const x = run;\n"],
    ['src/adapters/x.ts', "import { runIso } from '../pipeline/iso.js';\nexport const x = runIso;\n"],
    ['src/pipeline/x.ts', "import Docker from 'dockerode';\nexport const x = Docker;\n"],
    ['src/pipeline/x.ts', "import { run } from '../cli/run.js';\nexport const x = run;\n"],
    ['src/pipeline/x.ts', "import { readFile } from 'node:fs/promises';\nexport const x = readFile;\n"],
    ['src/pipeline/x.ts', "import { existsSync } from 'fs';\nexport const x = existsSync;\n"],
    ['src/pipeline/x.ts', "import { homedir } from 'node:os';\nexport const x = homedir;\n"],
    ['src/cli/x.ts', "import { simpleGit } from 'simple-git';\nexport const x = simpleGit;\n"],
  ])('%s: %s is refused', async (file, code) => {
    expect(await restricted(file, code)).toHaveLength(1);
  });

  test.each([
    ['src/core/x.ts', "import { createHash } from 'node:crypto';\nimport { inputErrorAt } from '../errors.js';\nexport const x = [createHash, inputErrorAt];\n"],
    ['src/adapters/x.ts', "import { execa } from 'execa';\nimport { sha256 } from '../core/digest.js';\nexport const x = [execa, sha256];\n"],
    ['src/pipeline/x.ts', "import { Listr } from 'listr2';\nimport { join } from 'node:path';\nimport { acquireLock } from '../adapters/files.js';\nexport const x = [Listr, join, acquireLock];\n"],
  ])('%s: allowed imports pass', async (file, code) => {
    expect(await restricted(file, code)).toEqual([]);
  });

  // Pipeline steps take typed inputs: a value a step might not have produced is not asserted into existence.
  test.each([
    ['@typescript-eslint/no-non-null-assertion', 'export const f = (c: { plan?: string }): string => c.plan!;\n'],
    ['no-restricted-syntax', 'export const f = (c: { plan?: string }): string => (c as Required<typeof c>).plan;\n'],
  ])('src/pipeline/x.ts: %s is refused', async (rule, code) => {
    expect(await messages('src/pipeline/x.ts', code, rule)).toHaveLength(1);
    expect(await messages('src/adapters/x.ts', code, rule)).toEqual([]);
  });
});
