// What a build under a pseudo-terminal prints, made fit for a log file: the
// terminal's line endings (\r\n), carriage-return redraws, colour and cursor
// sequences and other control characters are removed, tabs and newlines kept.
// Streaming: a sequence or \r\n split between two chunks is held back until
// the next one. Bytes are handled one to one (latin1), so UTF-8 text passes
// through untouched: its bytes are all >= 0x80 and match none of the patterns.
// Used by edgebuild-build-supervisor.mjs; a module of its own so the tests can
// import it.

/* eslint-disable no-control-regex */
/**
 * OSC (…BEL or …ESC \\), CSI, and other escape sequences, in one left-to-right
 * pass as a terminal reads them: removing one never joins its neighbours into a new one.
 */
const SEQUENCE = /\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b\[[0-?]*[ -/]*[@-~]|\x1b[ -/]*[0-~]/g;
const CR_NEWLINE = /\r+\n/g;
const LONE_CR = /\r+/g;
const OTHER_CONTROLS = /[\x00-\x08\x0b-\x1f\x7f]/g;
/**
 * The start of a sequence that may still be completed by the next chunk; an
 * OSC's body may be followed by the first byte of its ESC \\ terminator.
 */
const INCOMPLETE_SEQUENCE = /\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b]*\x1b?|[ -/]*)?$/;
/** Carriage returns at the end: \r\n or a lone \r, as the next chunk decides. */
const TRAILING_CR = /\r+$/;
/** Longer than this, an unfinished sequence is no sequence: let it go. */
const MAX_HELD = 256;

const stripSequences = (text) => text.replace(SEQUENCE, '');
const cleanLines = (text) => text.replace(CR_NEWLINE, '\n').replace(LONE_CR, '\n').replace(OTHER_CONTROLS, '');

export function cleanTerminalText(text) {
  return cleanLines(stripSequences(text));
}

export class TerminalText {
  #held = '';

  /** The clean text of everything up to the last complete sequence. */
  push(chunk) {
    const text = this.#held + chunk.toString('latin1');
    const tail = INCOMPLETE_SEQUENCE.exec(text);
    const cut = tail && tail[0].length <= MAX_HELD ? tail.index : text.length;
    // Carriage returns before the held sequence (or with nothing after them once sequences are gone) wait
    // for what follows: "\r" + "\x1b[0m" + "\n" is one line end, as it is cleaned whole.
    const done = stripSequences(text.slice(0, cut));
    const crs = TRAILING_CR.exec(done);
    const keep = crs && crs[0].length <= MAX_HELD ? crs.index : done.length;
    this.#held = done.slice(keep) + text.slice(cut);
    return Buffer.from(cleanLines(done.slice(0, keep)), 'latin1');
  }

  /** What was held back, at the end of the stream. */
  end() {
    const rest = this.#held;
    this.#held = '';
    return Buffer.from(cleanTerminalText(rest), 'latin1');
  }
}
