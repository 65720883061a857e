/**
 * Turning the build's raw output into log text, progress and a failure
 * summary. Works on blocks of whole lines, not line by line, so a million
 * lines cost a few thousand string operations. Pure.
 */
import { maskPatterns, secretPatterns } from '../secrets.js';

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

/** CanvOS's own failure message. */
export const CANVOS_ERROR_LINE = 'An error occurred while running the command.';

/**
 * What bash prints when CanvOS's broken error check (`if $? -ne 0 ; then`,
 * v4.5.14..v4.6.24 and v4.7.2) runs after a failed Earthly run: the status
 * is run as a command. The script then goes on and exits 0.
 */
const BROKEN_CHECK = /: line \d+: [1-9]\d*: command not found\s*$/;

export function brokenErrorCheck(lines: readonly string[]): boolean {
  return lines.some((l) => BROKEN_CHECK.test(l));
}

/** The start of the UTF-8 character that holds byte `i` (continuation bytes are 10xxxxxx). */
function charStart(data: Buffer, i: number): number {
  while (i > 0 && (data[i]! & 0xc0) === 0x80) i--;
  return i;
}

const EMPTY = Buffer.alloc(0);

/**
 * Splits raw output into blocks of whole lines and redacts them, working on
 * bytes: a block without a secret in it is passed on as it came, never
 * decoded and re-encoded. Every form of every secret is masked (see
 * secretPatterns): a pattern never holds a line break unless a multi-line
 * secret's lines are too short to be masked alone; for such a pattern the
 * last lines are held back until the lines it may continue into have come.
 * A line longer than `maxLine` bytes (progress bars redrawn with \r) is cut
 * so that memory stays bounded; the cut keeps enough bytes back that no
 * secret is split. Newlines never occur inside a UTF-8 character, so cutting
 * after one never splits a character.
 */
export class LineBlocks {
  private pending: Buffer = EMPTY;
  private readonly patterns: string[];
  private readonly needles: Buffer[];
  /** Longest pattern − 1: what a chunk's end may hold of a pattern's start. */
  private readonly keepBack: number;
  /** The same for patterns spanning lines (0 if none): whole lines held back. */
  private readonly spanBack: number;

  constructor(
    secrets: readonly string[],
    private readonly maxLine = 64 * 1024,
  ) {
    this.patterns = secretPatterns(secrets);
    this.needles = this.patterns.map((p) => Buffer.from(p, 'utf8'));
    this.keepBack = Math.max(0, ...this.needles.map((n) => n.length - 1));
    this.spanBack = Math.max(0, ...this.needles.filter((n) => n.includes(10)).map((n) => n.length - 1));
  }

  push(chunk: Buffer): Buffer | undefined {
    const data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const cut = data.lastIndexOf(10) + 1;
    if (cut > 0) {
      // A copy, so the rest of a large chunk is not kept alive by a short partial line.
      const rest = cut === data.length ? EMPTY : Buffer.from(data.subarray(cut));
      const whole = this.redact(data.subarray(0, cut));
      if (this.spanBack === 0) {
        this.pending = rest;
        return whole;
      }
      if (rest.length > this.maxLine) {
        // An endless partial line: memory comes first, the lines go out now and the partial line is cut.
        return Buffer.concat([whole, this.cutLong(rest)]);
      }
      // A line-spanning match ending after `whole` starts in its last spanBack bytes: hold their lines back.
      const from = whole.length - 1 - this.spanBack;
      const at = from < 0 ? 0 : whole.lastIndexOf(10, from) + 1;
      this.pending = Buffer.concat([whole.subarray(at), rest]);
      return at === 0 ? undefined : whole.subarray(0, at);
    }
    if (data.length <= this.maxLine) {
      this.pending = data;
      return undefined;
    }
    return this.cutLong(data);
  }

  /**
   * What push gives, as up to two blocks in order, without copying the chunk to join it to the
   * partial line held from the last one: the line that completes it is joined alone (a line's
   * bytes), the rest of the chunk goes out as it came. A build's output arrives in 64 KiB
   * chunks that end mid-line, so push would copy every byte once more (BENCHMARKS.md, the
   * build step). With patterns that span lines the blocks are joined as before.
   */
  pushEach(chunk: Buffer, emit: (block: Buffer) => void): void {
    if (this.pending.length && this.spanBack === 0) {
      const nl = chunk.indexOf(10);
      // Only when the rest holds whole lines too: a rest that is one partial line is kept or cut as push would.
      if (nl >= 0 && chunk.lastIndexOf(10) > nl) {
        const head = this.push(chunk.subarray(0, nl + 1));
        if (head) emit(head);
        const body = this.push(chunk.subarray(nl + 1));
        if (body) emit(body);
        return;
      }
    }
    const block = this.push(chunk);
    if (block) emit(block);
  }

  /** A partial line longer than maxLine, without a newline: cut, keeping back what may start a secret. */
  private cutLong(data: Buffer): Buffer {
    // Redact what is whole first (the last character may be incomplete),
    // then keep back as many bytes as a secret's unfinished start can have.
    const last = charStart(data, data.length - 1);
    const redacted = Buffer.concat([this.redact(data.subarray(0, last)), data.subarray(last)]);
    const at = charStart(redacted, Math.max(1, redacted.length - this.keepBack - 4));
    this.pending = Buffer.from(redacted.subarray(at));
    return Buffer.concat([redacted.subarray(0, at), Buffer.from('\n')]);
  }

  /** The last partial line, at the end of the output. */
  end(): Buffer | undefined {
    if (!this.pending.length) return undefined;
    const data = this.pending[this.pending.length - 1] === 10 ? this.pending : Buffer.concat([this.pending, Buffer.from('\n')]);
    this.pending = EMPTY;
    return this.redact(data);
  }

  private redact(data: Buffer): Buffer {
    if (!this.needles.some((n) => data.includes(n))) return data;
    return Buffer.from(maskPatterns(data.toString('utf8'), this.patterns), 'utf8');
  }
}

/** The text of a block's last `bytes` bytes, enough for its last lines. */
export function blockEnd(block: Buffer, bytes = 8 * 1024): string {
  if (block.length <= bytes) return block.toString('utf8');
  return block.subarray(charStart(block, block.length - bytes)).toString('utf8');
}

/**
 * The last bytes of the output, for the failure summary; bounded. Keeps
 * references to the last blocks and joins them only when asked.
 */
export class Tail {
  private blocks: Buffer[] = [];
  private size = 0;

  constructor(private readonly bytes = 16 * 1024) {}

  add(block: Buffer): void {
    this.blocks.push(block);
    this.size += block.length;
    while (this.blocks.length > 1 && this.size - this.blocks[0]!.length >= this.bytes) this.size -= this.blocks.shift()!.length;
  }

  /** The last `n` lines (without colours and carriage returns). */
  lines(n: number): string[] {
    const joined = Buffer.concat(this.blocks);
    const cut = joined.length > this.bytes;
    const lines = stripAnsi(joined.subarray(cut ? charStart(joined, joined.length - this.bytes) : 0).toString('utf8')).split('\n');
    if (cut) lines.shift(); // cut somewhere inside: not a whole line
    if (lines.at(-1) === '') lines.pop();
    return lines.slice(-n).map((l) => l.replace(/\r/g, '').trimEnd());
  }
}

/**
 * The current Earthly step, looked up only when it is shown (about once a
 * second), not for every block: the output path stays cheap.
 */
export class StepTracker {
  private last: Buffer | undefined;
  private step: string | undefined;

  feed(block: Buffer): void {
    this.last = block;
  }

  current(): string | undefined {
    if (this.last) {
      this.step = lastStep(blockEnd(this.last)) ?? this.step;
      this.last = undefined;
    }
    return this.step;
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
