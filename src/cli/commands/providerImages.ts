import type { CommandContext } from '../context.js';
import { runProviderImages, type ProviderImagesOptions, type ProviderImagesResult } from '../../pipeline/providerImages.js';

type Flags = Omit<ProviderImagesOptions, 'cwd' | 'env' | 'signal'> & { json?: boolean };

function text(result: ProviderImagesResult): string {
  const head = {
    planned: `Planned: ${result.versions.length} provider image(s) from CanvOS ${result.tag} (${result.commit.slice(0, 12)}), PE_VERSION ${result.peVersion ?? 'unknown'}, ${result.target}`,
    built: `Built and verified${result.pushed ? ', pushed' : ''}: ${result.images.length} provider image(s) from CanvOS ${result.tag} (${result.commit.slice(0, 12)}) in ${Math.round(result.durationMs / 1000)}s`,
    'up-to-date': `Up to date: ${result.record ?? ''} records these provider images (CanvOS ${result.tag}); --force rebuilds`,
  }[result.status];
  const images = result.images.map((i) => `  ${i.reference}${'digest' in i && i.digest ? `@${i.digest}` : ''}  (Kubernetes ${i.k8sVersion})`);
  const lines = [head, ...images];
  if (result.status === 'planned') lines.push(...result.commands.map((c) => `  build  ${c.join(' ')}`));
  if (result.osPack) lines.push(`  ${result.osPack}  (paste into the OS layer of the cluster profile)`, `  ${result.record ?? ''}`);
  return lines.join('\n');
}

export async function providerImagesCommand({ options, io, out }: CommandContext<Flags>): Promise<number> {
  const result = await runProviderImages({
    options: { ...options, cwd: io.cwd, env: io.env, signal: io.signal },
    stderr: io.stderr,
    onWarning: (w) => out.warn(w),
  });
  out.result(result, text(result));
  return 0;
}
