/**
 * listr2 setup shared by every task list: progress always goes to stderr;
 * spinners only on a TTY, plain lines otherwise (CI, pipes).
 */
import { Listr, ListrLogger, ListrLogLevels, ProcessOutput } from 'listr2';
import type { ListrBaseClassOptions, LoggerFieldOptions } from 'listr2';

export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

/** Says the error once: listr2 suffixes a failed step with it, and edgebuild prints it next as `error: … Fix: …`. */
class OnceLogger extends ListrLogger {
  override log(level: string, message: string | unknown[], options?: LoggerFieldOptions): void {
    super.log(level, message, level === ListrLogLevels.FAILED ? { ...options, suffix: [] } : options);
  }
}

export function listrOptions<Ctx>(stderr: ProgressStream, env: Record<string, string | undefined>): ListrBaseClassOptions<Ctx, 'default', 'simple'> {
  const stream = stderr as unknown as NodeJS.WriteStream;
  const logger = new OnceLogger({ processOutput: new ProcessOutput(stream, stream) });
  return {
    exitOnError: true,
    registerSignalListeners: false, // main.ts owns SIGINT/SIGTERM
    renderer: 'default',
    fallbackRenderer: 'simple',
    fallbackRendererCondition: !stderr.isTTY || env.CI === 'true' || env.TERM === 'dumb',
    rendererOptions: { logger, collapseSubtasks: false, showErrorMessage: false },
    fallbackRendererOptions: { logger },
  };
}

/** What listr2 gives a task to report on. */
export interface TaskReporter {
  output: string | undefined;
  title: string;
}

/**
 * Shows each step of a command as a listr2 task while the command itself
 * stays a plain list of typed calls: a step gets what earlier steps returned,
 * so the compiler proves the order (no context of optional fields).
 */
export class StepProgress {
  constructor(
    private readonly stderr: ProgressStream,
    private readonly env: Record<string, string | undefined>,
  ) {}

  async run<T>(title: string, step: (task: TaskReporter) => Promise<T> | T): Promise<T> {
    const tasks = new Listr<{ value: T }>([{ title, task: async (ctx, task) => void (ctx.value = await step(task)) }], listrOptions<{ value: T }>(this.stderr, this.env));
    return (await tasks.run()).value;
  }

  /** Shows steps that had nothing to do (the build is up to date): one line each (listr2 prints a skipped task as started, then as skipped). */
  skip(titles: readonly string[]): Promise<void> {
    this.stderr.write(titles.map((title) => `↓ ${title} (skipped)\n`).join(''));
    return Promise.resolve();
  }
}
