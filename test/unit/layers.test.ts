/**
 * The layer rules in eslint.config.js are part of the design: this proves they
 * catch a forbidden import in each layer, and let an allowed one through.
 */
import { ESLint } from 'eslint';
import { describe, expect, test } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

async function restricted(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layer rules', () => {
  test.each([
    ['src/core/x.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n"],
    ['src/core/x.ts', "import { execa } from 'execa';\nexport const x = execa;\n"],
    ['src/core/x.ts', "import { openIso } from '../adapters/iso.js';\nexport const x = openIso;\n"],
    ['src/core/registries/x.ts', "import { run } from '../../cli/run.js';\nexport const x = run;\n"],
    ['src/adapters/x.ts', "import { runIso } from '../pipeline/iso.js';\nexport const x = runIso;\n"],
    ['src/pipeline/x.ts', "import Docker from 'dockerode';\nexport const x = Docker;\n"],
    ['src/pipeline/x.ts', "import { run } from '../cli/run.js';\nexport const x = run;\n"],
    ['src/cli/x.ts', "import { simpleGit } from 'simple-git';\nexport const x = simpleGit;\n"],
  ])('%s: %s is refused', async (file, code) => {
    expect(await restricted(file, code)).toHaveLength(1);
  });

  test.each([
    ['src/core/x.ts', "import { createHash } from 'node:crypto';\nimport { inputErrorAt } from '../errors.js';\nexport const x = [createHash, inputErrorAt];\n"],
    ['src/adapters/x.ts', "import { execa } from 'execa';\nimport { sha256 } from '../core/digest.js';\nexport const x = [execa, sha256];\n"],
    ['src/pipeline/x.ts', "import { Listr } from 'listr2';\nimport { acquireLock } from '../adapters/files.js';\nexport const x = [Listr, acquireLock];\n"],
  ])('%s: allowed imports pass', async (file, code) => {
    expect(await restricted(file, code)).toEqual([]);
  });
});
