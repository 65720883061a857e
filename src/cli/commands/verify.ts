import type { CommandContext } from '../context.js';
import { InputError } from '../../errors.js';
import { verifyPublished } from '../../pipeline/verify.js';

interface Flags {
  json?: boolean;
  manifest?: string;
}

export async function verifyCommand({ options, io, out }: CommandContext<Flags>, args: string[]): Promise<number> {
  const iso = args[0];
  if (!iso) throw new InputError('no ISO given', { code: 'usage', fix: 'run edgebuild verify out/edgebuild/<name>.iso' });
  const result = await verifyPublished(iso, io.cwd, io.signal, options.manifest);
  const human = [`Verified ${result.path}: ${result.size} bytes, sha256 ${result.sha256}`, ...result.checks.map((c) => `  ok  ${c.message}`)].join('\n');
  out.result(result, human);
  return 0;
}
