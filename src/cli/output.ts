import type { Io } from './io.js';
import { isEdgebuildError } from '../errors.js';
import { commandFreeJson } from '../core/github/workflowCommands.js';
import { listJson } from '../core/prettyJson.js';

/**
 * The only way commands print. With `--json`, stdout carries exactly one JSON
 * document and everything human goes to stderr.
 */
export class Output {
  readonly warnings: string[] = [];

  constructor(
    private readonly io: Io,
    readonly json: boolean,
  ) {}

  /** Progress and notes for humans: always stderr. */
  info(line: string): void {
    this.io.stderr.write(`${line}\n`);
  }

  warn(line: string): void {
    this.warnings.push(line);
    this.io.stderr.write(`warning: ${line}\n`);
  }

  /** The command's result: JSON document or human text on stdout. */
  result(document: object, human: string): void {
    if (this.json) this.writeJson(document);
    else if (human) this.io.stdout.write(human.endsWith('\n') ? human : `${human}\n`);
  }

  /**
   * `result` for a document with one long list (`document[key]`, e.g. 50,000 sites): the
   * same JSON text, written a batch of items at a time rather than built whole.
   */
  resultWithList(document: object, key: string, items: Iterable<unknown>, human: string): void {
    if (!this.json) return this.result(document, human);
    const json = listJson(document, key);
    let text = json.before;
    let count = 0;
    for (const item of items) {
      text += json.item(item, count++);
      if (text.length < 64 * 1024) continue;
      // Pieces end between items, never inside a string, so each is made command-free on its own.
      this.io.stdout.write(commandFreeJson(text));
      text = '';
    }
    this.io.stdout.write(`${commandFreeJson(text + json.after(count))}\n`);
  }

  /** The one JSON document; it may carry build output, which must not reach a CI runner as a command. */
  private writeJson(document: object): void {
    this.io.stdout.write(`${commandFreeJson(JSON.stringify(document, null, 2))}\n`);
  }

  error(error: unknown): void {
    if (isEdgebuildError(error)) {
      if (this.json) {
        const body = { status: 'error', error: { code: error.code, exitCode: error.exitCode, message: error.line, ...(error.fix ? { fix: error.fix } : {}), ...error.details } };
        this.writeJson(body);
      }
      this.io.stderr.write(`error: ${error.line}\n`);
      return;
    }
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    if (this.json) {
      const body = { status: 'error', error: { code: 'internal', exitCode: 1, message: firstLine(message) } };
      this.writeJson(body);
    }
    this.io.stderr.write(`internal error (please report it): ${message}\n`);
  }
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? text;
}
