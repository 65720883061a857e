import type { CommandContext } from '../context.js';
import { InputError } from '../../errors.js';
import { runPush } from '../../pipeline/push.js';

interface Flags {
  to?: string;
  plainHttp?: boolean;
  json?: boolean;
}

export async function pushCommand({ options, io, out }: CommandContext<Flags>, args: string[]): Promise<number> {
  const source = args[0];
  if (!source) throw new InputError('no published set given', { code: 'usage', fix: 'run edgebuild push out/edgebuild --to registry.example.com/edge/installer:<tag>' });
  if (!options.to) throw new InputError('no --to given', { code: 'usage', fix: 'name where to push, e.g. --to registry.example.com/edge/installer:v4.9.38' });
  const result = await runPush({ source, to: options.to, plainHttp: options.plainHttp ?? false, cwd: io.cwd, env: io.env, signal: io.signal, stderr: io.stderr });
  const human = [
    `Pushed ${result.ref} in ${(result.durationMs / 1000).toFixed(1)}s`,
    `  digest  ${result.digest}`,
    ...result.layers.map((l) => `  ${l.uploaded ? 'uploaded' : 'present '}  ${l.name}  ${l.size} bytes  ${l.digest}`),
    `  recorded in ${result.recorded}`,
    `  pull it with: edgebuild pull ${result.pinned}`,
  ].join('\n');
  out.result(result, human);
  return 0;
}
