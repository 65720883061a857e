/**
 * Step 5: apply the plan to a fresh checkout: user-data (0600), .arg (0600 when it holds a secret) and the
 * extra files. The first step that writes anything.
 */
import { dirname, join } from 'node:path';
import type { Plan } from '../core/plan.js';
import { atomicWriteFile, copyTree, makeDir } from '../adapters/files.js';
import { checkoutTag } from '../adapters/git.js';

export async function applyPlan(plan: Plan, mirror: string, signal?: AbortSignal): Promise<void> {
  await makeDir(dirname(plan.canvosDir));
  await checkoutTag(mirror, plan.tag, plan.canvosDir, plan.repo, signal);
  for (const file of plan.files) {
    await copyTree(file.from, join(plan.canvosDir, file.to));
  }
  await atomicWriteFile(join(plan.canvosDir, 'user-data'), plan.userDataText, 0o600);
  // .arg carries proxy credentials and ${env:...} values when there are any.
  const argSecret = plan.secrets.some((secret) => plan.argText.includes(secret));
  await atomicWriteFile(join(plan.canvosDir, '.arg'), plan.argText, argSecret ? 0o600 : 0o644);
}
