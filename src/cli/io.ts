/** Everything a command may touch of the process, so the CLI runs in-process in tests. */
export interface Io {
  /** `columns`: the terminal's width when stdout is one (0 or absent: unknown). */
  stdout: { write(chunk: string): unknown; columns?: number };
  stderr: { write(chunk: string): unknown; isTTY?: boolean };
  env: Record<string, string | undefined>;
  cwd: string;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
}

/** The width to wrap text for humans to: the terminal's, else 80 (a terminal may report 0). */
export function textWidth(io: Pick<Io, 'stdout'>): number {
  const columns = io.stdout.columns;
  return columns !== undefined && columns >= 20 ? columns : 80;
}

export function processIo(signal: AbortSignal): Io {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), signal };
}
