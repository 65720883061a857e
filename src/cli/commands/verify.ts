import type { CommandContext } from '../context.js';
import { InputError } from '../../errors.js';
import { resolve } from 'node:path';
import { defaultCacheDir } from '../../adapters/cacheDir.js';
import { verifyPublished } from '../../pipeline/verify.js';

interface Flags {
  ref?: string;
  plainHttp?: boolean;
  json?: boolean;
  manifest?: string;
  cacheDir?: string;
}

export async function verifyCommand({ options, io, out }: CommandContext<Flags>, args: string[]): Promise<number> {
  const iso = args[0];
  if (!iso) throw new InputError('no ISO given', { code: 'usage', fix: 'run edgebuild verify out/edgebuild/<name>.iso' });
  let result: Awaited<ReturnType<typeof verifyPublished>>;
  let head: string;
  if (options.ref) {
    const { verifyAgainstRef } = await import('../../pipeline/verifyRef.js');
    const checked = await verifyAgainstRef(iso, options.ref, io.cwd, { plainHttp: options.plainHttp ?? false, env: io.env, signal: io.signal }, options.manifest);
    result = checked;
    head = `Verified ${checked.path} and ${checked.ref} (${checked.digest})`;
  } else {
    result = await verifyPublished(iso, io.cwd, io.signal, { manifest: options.manifest, cacheDir: resolve(io.cwd, options.cacheDir ?? defaultCacheDir(io.env)) });
    head = `Verified ${result.path}`;
  }
  const human = [`${head}: ${result.size} bytes, sha256 ${result.sha256}`, ...result.checks.map((c) => `  ok  ${c.message}`)].join('\n');
  out.result(result, human);
  return 0;
}
