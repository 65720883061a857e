/**
 * listr2 setup shared by every task list: progress always goes to stderr;
 * spinners only on a TTY, plain lines otherwise (CI, pipes).
 */
import { ListrLogger, ProcessOutput } from 'listr2';
import type { ListrBaseClassOptions } from 'listr2';

export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

export function listrOptions<Ctx>(stderr: ProgressStream, env: Record<string, string | undefined>): ListrBaseClassOptions<Ctx, 'default', 'simple'> {
  const stream = stderr as unknown as NodeJS.WriteStream;
  const logger = new ListrLogger({ processOutput: new ProcessOutput(stream, stream) });
  return {
    exitOnError: true,
    registerSignalListeners: false, // main.ts owns SIGINT/SIGTERM
    renderer: 'default',
    fallbackRenderer: 'simple',
    fallbackRendererCondition: !stderr.isTTY || env.CI === 'true' || env.TERM === 'dumb',
    rendererOptions: { logger, collapseSubtasks: false },
    fallbackRendererOptions: { logger },
  };
}
