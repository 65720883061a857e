import type { CommandContext } from '../context.js';
import { InputError } from '../../errors.js';
import { runPull } from '../../pipeline/pull.js';

interface Flags {
  out?: string;
  plainHttp?: boolean;
  json?: boolean;
}

export async function pullCommand({ options, io, out }: CommandContext<Flags>, args: string[]): Promise<number> {
  const ref = args[0];
  if (!ref) throw new InputError('no reference given', { code: 'usage', fix: 'run edgebuild pull registry.example.com/edge/installer:<tag> --out out/edgebuild' });
  const result = await runPull({ ref, ...(options.out !== undefined ? { out: options.out } : {}), plainHttp: options.plainHttp ?? false, cwd: io.cwd, env: io.env, signal: io.signal, stderr: io.stderr });
  const human = [
    `Pulled and verified ${result.ref} (${result.digest}) in ${(result.durationMs / 1000).toFixed(1)}s`,
    ...result.checks.map((c) => `  ok  ${c.message}`),
    ...result.artifacts.map((a) => `  ${a.path}  ${a.size} bytes  sha256 ${a.sha256}`),
    `  ${result.manifest}`,
  ].join('\n');
  out.result(result, human);
  return 0;
}
