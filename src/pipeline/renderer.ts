/**
 * Progress of a command's steps, always on stderr: listr2's live spinners on
 * a terminal; plain lines otherwise (CI, pipes, TERM=dumb), written here in
 * listr2's simple-renderer form (`❯ started`, `› output`, `✔ done`,
 * `✖ failed`) without loading listr2: an up-to-date rerun in CI or a script
 * is over in a fraction of a second, and listr2 was a tenth of it.
 */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

/** What a step reports on: the line under it, and its title (retitled with what it found). */
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
    const { stderr, env } = this;
    if (stderr.isTTY && env.CI !== 'true' && env.TERM !== 'dumb') return (await import('./listrProgress.js')).runListrStep(stderr, title, step);
    const line = lineWriter(stderr, env);
    line('started', title);
    const task = new PlainTask(title, (text) => line('output', text));
    try {
      const value = await step(task);
      line('completed', task.title);
      return value;
    } catch (error) {
      line('failed', task.title); // the error itself is the CLI's `error: … Fix: …` line
      throw error;
    }
  }

  /** Shows steps that had nothing to do (the build is up to date): one line each (listr2 prints a skipped task as started, then as skipped). */
  skip(titles: readonly string[]): Promise<void> {
    this.stderr.write(titles.map((title) => `↓ ${title} (skipped)\n`).join(''));
    return Promise.resolve();
  }
}

/** listr2's icons and their colors (none for output). */
const ICON = { started: ['❯', 33], output: ['›', 0], completed: ['✔', 32], failed: ['✖', 31] } as const;

/**
 * Writes `icon text` for each line of the text. Icons are colored
 * when listr2 (colorette) colors them without a terminal on stderr:
 * FORCE_COLOR, or CI on GitHub Actions, GitLab or CircleCI; never with NO_COLOR.
 */
function lineWriter(stderr: ProgressStream, env: Record<string, string | undefined>): (kind: keyof typeof ICON, text: string) => void {
  const ci = 'CI' in env && ('GITHUB_ACTIONS' in env || 'GITLAB_CI' in env || 'CIRCLECI' in env);
  const color = !('NO_COLOR' in env) && ('FORCE_COLOR' in env || ci);
  return (kind, text) => {
    const [icon, code] = ICON[kind];
    const shown = color && code ? `\x1b[${code}m${icon}\x1b[39m` : icon;
    // As listr2's logger: lines of blanks dropped, empty lines kept bare.
    const lines = text.split('\n').filter((l) => !l || l.trim() !== '');
    if (lines.length > 0) stderr.write(lines.map((l) => (l ? `${shown} ${l}\n` : '\n')).join(''));
  };
}

/** A step's reporter in plain mode: output is written as it is set; the title is read when the step ends. */
class PlainTask implements TaskReporter {
  constructor(
    public title: string,
    private readonly onOutput: (text: string) => void,
  ) {}

  set output(text: string | undefined) {
    if (text) this.onOutput(text);
  }

  get output(): string | undefined {
    return undefined;
  }
}
