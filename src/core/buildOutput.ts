/**
 * Turning the build's raw output into log text, progress and a failure
 * summary. Works on blocks of whole lines, not line by line, so a million
 * lines cost a few thousand string operations. Pure.
 */
import { redact } from './placeholders.js';

// CSI/OSC escape sequences (colours, cursor moves) that Earthly writes under `docker run -t`.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-_]/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/** A line of Earthly output naming its target: `   +build-iso | --> RUN ...`. */
const STEP = /^\s*(\+[\w.-]+(?:\(\w+\))?)\s*\|\s*(.*\S)\s*$/;

/** The Earthly target and what it is doing, from one line; undefined for other lines. */
export function parseStep(line: string): string | undefined {
  const match = STEP.exec(stripAnsi(line).replace(/\r/g, ''));
  if (!match) return undefined;
  return `${match[1]} | ${match[2]!.slice(0, 160)}`;
}

/** The last Earthly step among the last `lookBack` lines of a block of text. */
export function lastStep(block: string, lookBack = 40): string | undefined {
  let end = block.length;
  for (let i = 0; i < lookBack && end > 0; i++) {
    const start = block.lastIndexOf('\n', end - 2) + 1;
    const step = parseStep(block.slice(start, end).replace(/\n$/, ''));
    if (step) return step;
    end = start;
  }
  return undefined;
}

/** CanvOS's own failure message; printed even by the tags whose exit status lies. */
export const CANVOS_ERROR_LINE = 'An error occurred while running the command.';

export interface Block {
  /** Whole lines, secrets replaced by `***`. */
  text: string;
  lines: number;
}

/**
 * Splits decoded output into blocks of whole lines and redacts them. A line
 * longer than `maxLine` (progress bars redrawn with \r) is cut so that memory
 * stays bounded; the cut keeps enough characters back that no secret is split.
 */
export class LineBlocks {
  private pending = '';
  private readonly keepBack: number;

  constructor(
    private readonly secrets: readonly string[],
    private readonly maxLine = 64 * 1024,
  ) {
    this.keepBack = Math.max(0, ...secrets.map((s) => s.length - 1));
  }

  push(chunk: string): Block | undefined {
    const text = this.pending + chunk;
    const cut = text.lastIndexOf('\n') + 1;
    if (cut > 0) {
      this.pending = text.slice(cut);
      return this.emit(this.redact(text.slice(0, cut)));
    }
    if (text.length <= this.maxLine) {
      this.pending = text;
      return undefined;
    }
    // Redact first, then keep back as many characters as a secret's unfinished start can have.
    const redacted = this.redact(text);
    const at = redacted.length - this.keepBack;
    this.pending = redacted.slice(at);
    return this.emit(`${redacted.slice(0, at)}\n`);
  }

  /** The last partial line, at the end of the output. */
  end(): Block | undefined {
    if (!this.pending) return undefined;
    const text = `${this.pending}\n`;
    this.pending = '';
    return this.emit(this.redact(text));
  }

  private redact(text: string): string {
    return this.secrets.length ? redact(text, this.secrets) : text;
  }

  private emit(text: string): Block {
    let lines = 0;
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
    return { text, lines };
  }
}

/** The last characters of the output, for the failure summary; bounded. */
export class Tail {
  private text = '';

  constructor(private readonly chars = 16 * 1024) {}

  add(block: string): void {
    this.text = block.length >= this.chars ? block.slice(-this.chars) : (this.text + block).slice(-this.chars);
  }

  /** The last `n` lines (without colours and carriage returns). */
  lines(n: number): string[] {
    const lines = stripAnsi(this.text).split('\n');
    if (lines.at(-1) === '') lines.pop();
    return lines.slice(-n).map((l) => l.replace(/\r/g, '').trimEnd());
  }
}

/** Seconds as `1h02m03s` / `2m03s` / `3s`. */
export function formatElapsed(ms: number): string {
  const total = Math.floor(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h) return `${h}h${String(m).padStart(2, '0')}m${String(s).padStart(2, '0')}s`;
  if (m) return `${m}m${String(s).padStart(2, '0')}s`;
  return `${s}s`;
}
