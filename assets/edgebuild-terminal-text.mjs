// What a build under a pseudo-terminal prints, made fit for a log file: the
// terminal's line endings (\r\n), carriage-return redraws, colour and cursor
// sequences and other control characters are removed, tabs and newlines kept.
// Streaming: a sequence or \r\n split between two chunks is held back until
// the next one. Bytes are handled one to one (latin1), so UTF-8 text passes
// through untouched: its bytes are all >= 0x80 and match none of the patterns.
// Used by edgebuild-build-supervisor.mjs; a module of its own so the tests can
// import it.

/* eslint-disable no-control-regex */
const CSI = /\x1b\[[0-?]*[ -/]*[@-~]/g;
const OSC = /\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g;
const ESC = /\x1b[ -/]*[0-~]/g;
const CR_NEWLINE = /\r+\n/g;
const LONE_CR = /\r+/g;
const OTHER_CONTROLS = /[\x00-\x08\x0b-\x1f\x7f]/g;
/** The start of a sequence that may still be completed by the next chunk. */
const INCOMPLETE_TAIL = /(?:\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b]*|[ -/]*)?|\r+)$/;
/** Longer than this, an unfinished sequence is no sequence: let it go. */
const MAX_HELD = 256;

export function cleanTerminalText(text) {
  return text.replace(OSC, '').replace(CSI, '').replace(ESC, '').replace(CR_NEWLINE, '\n').replace(LONE_CR, '\n').replace(OTHER_CONTROLS, '');
}

export class TerminalText {
  #held = '';

  /** The clean text of everything up to the last complete sequence. */
  push(chunk) {
    const text = this.#held + chunk.toString('latin1');
    const tail = INCOMPLETE_TAIL.exec(text);
    const cut = tail && tail[0].length <= MAX_HELD ? tail.index : text.length;
    this.#held = text.slice(cut);
    return Buffer.from(cleanTerminalText(text.slice(0, cut)), 'latin1');
  }

  /** What was held back, at the end of the stream. */
  end() {
    const rest = this.#held;
    this.#held = '';
    return Buffer.from(cleanTerminalText(rest), 'latin1');
  }
}
