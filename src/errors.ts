/**
 * Errors are values of a few typed classes. They are thrown anywhere and turned
 * into a message and an exit code in exactly one place (src/cli/run.ts).
 */

export const ExitCode = {
  ok: 0,
  runtime: 1,
  input: 2,
  preflight: 3,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface ErrorOptions {
  /** Stable machine-readable code, e.g. `unknown-tag`. */
  code: string;
  /** One-line instruction telling the user how to fix it. */
  fix?: string;
  /** Extra fields for `--json` output, e.g. `suggestions`. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export abstract class EdgebuildError extends Error {
  abstract readonly exitCode: ExitCode;
  readonly code: string;
  readonly fix: string | undefined;
  readonly details: Record<string, unknown>;

  constructor(message: string, options: ErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.fix = options.fix;
    this.details = options.details ?? {};
  }

  /** The single line shown to a human: what is wrong, then how to fix it. */
  get line(): string {
    // Messages quoted from git, Docker or commander often end with a period already.
    return this.fix ? `${this.message.replace(/\.+$/, '')}. Fix: ${this.fix}` : this.message;
  }
}

/** Invalid input or usage: flags, config, user-data, unknown tag. Exit 2. */
export class InputError extends EdgebuildError {
  readonly exitCode = ExitCode.input;
}

/** Git, Docker, the build or verification failed. Exit 1. */
export class RuntimeError extends EdgebuildError {
  readonly exitCode = ExitCode.runtime;
}

/**
 * A guard inside edgebuild found a state its validation should have made
 * impossible (a publish target outside --out, say). A bug, stopped before it
 * could do harm: exit 1 with one line, not a stack trace.
 */
export class InternalError extends EdgebuildError {
  readonly exitCode = ExitCode.runtime;
  constructor(message: string) {
    super(message, { code: 'internal', fix: 'this is a bug in edgebuild: please report it with this line' });
  }
}

/** The host does not meet the build prerequisites. Exit 3. */
export class PreflightError extends EdgebuildError {
  readonly exitCode = ExitCode.preflight;
}

/** SIGINT or SIGTERM. Exit 130. */
export class InterruptedError extends EdgebuildError {
  readonly exitCode = ExitCode.interrupted;
  constructor(message = 'interrupted') {
    super(message, { code: 'interrupted' });
  }
}

/** A place in a file, 1-based, for messages of the form `file:line:col`. */
export interface Place {
  file: string;
  line?: number | undefined;
  col?: number | undefined;
}

export function formatPlace(place: Place): string {
  if (place.line === undefined) return place.file;
  return place.col === undefined ? `${place.file}:${place.line}` : `${place.file}:${place.line}:${place.col}`;
}

/** An input error located in a file: `file:line:col: message`. */
export function inputErrorAt(place: Place, message: string, options: ErrorOptions): InputError {
  return new InputError(`${formatPlace(place)}: ${message}`, {
    ...options,
    details: { file: place.file, line: place.line, col: place.col, ...options.details },
  });
}

export function isEdgebuildError(error: unknown): error is EdgebuildError {
  return error instanceof EdgebuildError;
}

const SYSTEM_ERROR_WORDS: Record<string, string> = {
  ENOTDIR: 'a parent of it is not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EISDIR: 'it is a directory',
  ENOENT: 'no such file or directory',
};

/**
 * A file-system error from Node (an unwritable --cache-dir, a full disk) is
 * the host's problem, not an edgebuild bug: one line naming the path, exit 1,
 * instead of "internal error" and a stack trace.
 */
export function fromSystemError(error: unknown): RuntimeError | undefined {
  const e = error as (NodeJS.ErrnoException & { dest?: string }) | undefined;
  if (!(error instanceof Error) || typeof e?.code !== 'string' || typeof e.path !== 'string' || !(e.code in SYSTEM_ERROR_WORDS)) return undefined;
  // A program that cannot be started (spawn git ENOENT) is the adapters' to explain.
  if (e.syscall?.startsWith('spawn')) return undefined;
  const target = e.dest ? `${e.path} -> ${e.dest}` : e.path;
  return new RuntimeError(`cannot ${e.syscall ?? 'use'} ${target}: ${SYSTEM_ERROR_WORDS[e.code]}`, {
    code: 'file-system',
    fix: 'check that path, its parent folders and their permissions, or choose another path (--cache-dir, --work-dir, --out)',
    details: { errno: e.code, path: e.path },
    cause: error,
  });
}

/** An error as a thread posts it: the structured clone of an Error keeps neither its class nor its fields. */
export interface ErrorMessage {
  kind: 'InputError' | 'RuntimeError' | 'InternalError' | 'PreflightError' | 'InterruptedError' | 'Error';
  message: string;
  code?: string | undefined;
  fix?: string | undefined;
  details?: Record<string, unknown>;
  /** A Node.js system error's fields, which fromSystemError reads. */
  system?: { errno?: number | undefined; path?: string | undefined; dest?: string | undefined; syscall?: string | undefined };
  stack?: string | undefined;
}

export function errorToMessage(error: unknown): ErrorMessage {
  if (isEdgebuildError(error)) {
    // A subclass (DockerUnavailable, say) crosses as the class that gives its exit code.
    const kind = error instanceof InterruptedError ? 'InterruptedError' : error instanceof InternalError ? 'InternalError' : error instanceof PreflightError ? 'PreflightError' : error instanceof InputError ? 'InputError' : 'RuntimeError';
    return { kind, message: error.message, code: error.code, fix: error.fix, details: error.details, stack: error.stack };
  }
  if (!(error instanceof Error)) return { kind: 'Error', message: String(error) };
  const e = error as NodeJS.ErrnoException & { dest?: string };
  return { kind: 'Error', message: e.message, code: typeof e.code === 'string' ? e.code : undefined, system: { errno: e.errno, path: e.path, dest: e.dest, syscall: e.syscall }, stack: e.stack };
}

/** The error errorToMessage described, of its class again. */
export function errorFromMessage(m: ErrorMessage): Error {
  const options: ErrorOptions = { code: m.code ?? 'internal', ...(m.fix === undefined ? {} : { fix: m.fix }), ...(m.details ? { details: m.details } : {}) };
  let error: Error;
  switch (m.kind) {
    case 'InputError': error = new InputError(m.message, options); break;
    case 'RuntimeError': error = new RuntimeError(m.message, options); break;
    case 'PreflightError': error = new PreflightError(m.message, options); break;
    case 'InternalError': error = new InternalError(m.message); break;
    case 'InterruptedError': error = new InterruptedError(m.message); break;
    default: {
      const system = Object.fromEntries(Object.entries(m.system ?? {}).filter(([, v]) => v !== undefined));
      error = Object.assign(new Error(m.message), m.code === undefined ? {} : { code: m.code }, system);
    }
  }
  if (m.stack !== undefined) error.stack = m.stack;
  return error;
}
