/**
 * The order `npm test` starts its files in. vitest's own order runs one
 * project after another (e2e, integration, unit) and, within each, the
 * files it has timed before longest first, else the larger ones first; on
 * a fresh clone (CI) it has timed nothing. The longest files are listed
 * here and start first whatever the project, so the workers finish
 * together instead of one running a 30 s file alone at the end. A list out
 * of date costs time, never a test.
 */
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Longest first, hooks included (BENCHMARKS.md, "The test loop"). */
export const LONGEST = [
  'test/integration/package.test.ts',
  'test/integration/isoBuild.test.ts',
  'test/integration/ociLarge.test.ts',
  'test/integration/remaster.test.ts',
  'test/integration/proc.test.ts',
  'test/integration/oci.test.ts',
  'test/integration/pty.test.ts',
  'test/integration/providerImages.test.ts',
  'test/integration/publishVerify.test.ts',
  'test/integration/remasterWrite.test.ts',
  'test/integration/remasterInterrupt.test.ts',
];

export class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (file: TestSpecification): number => {
      const at = LONGEST.indexOf(relative(this.ctx.config.root, file.moduleId));
      return at < 0 ? LONGEST.length : at;
    };
    return sorted.sort((a, b) => rank(a) - rank(b)); // stable: the rest keep vitest's order
  }
}
