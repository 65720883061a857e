/**
 * listr2 for a terminal that renders live progress (spinners); loaded only
 * then: plain lines (CI, pipes) are written by renderer.ts itself.
 */
import { Listr, ListrLogger, ListrLogLevels, ProcessOutput } from 'listr2';
import type { ListrBaseClassOptions, LoggerFieldOptions } from 'listr2';
import type { ProgressStream, TaskReporter } from './renderer.js';

/** Says the error once: listr2 suffixes a failed step with it, and edgebuild prints it next as `error: … Fix: …`. */
export class OnceLogger extends ListrLogger {
  override log(level: string, message: string | unknown[], options?: LoggerFieldOptions): void {
    super.log(level, message, level === ListrLogLevels.FAILED ? { ...options, suffix: [] } : options);
  }
}

function listrOptions<Ctx>(stderr: ProgressStream): ListrBaseClassOptions<Ctx, 'default', 'simple'> {
  const stream = stderr as unknown as NodeJS.WriteStream;
  const logger = new OnceLogger({ processOutput: new ProcessOutput(stream, stream) });
  return {
    exitOnError: true,
    registerSignalListeners: false, // main.ts owns SIGINT/SIGTERM
    renderer: 'default',
    rendererOptions: { logger, collapseSubtasks: false, showErrorMessage: false },
    // listr2's own choice when stdout is not a terminal (`--json | jq`): its plain lines.
    fallbackRenderer: 'simple',
    fallbackRendererOptions: { logger },
  };
}

/** One step as a listr2 task on the terminal. */
export async function runListrStep<T>(stderr: ProgressStream, title: string, step: (task: TaskReporter) => Promise<T> | T): Promise<T> {
  const tasks = new Listr<{ value: T }>([{ title, task: async (ctx, task) => void (ctx.value = await step(task)) }], listrOptions<{ value: T }>(stderr));
  return (await tasks.run()).value;
}
