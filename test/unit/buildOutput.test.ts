import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { LineBlocks, Tail, brokenErrorCheck, formatElapsed, lastStep, parseStep, stripAnsi } from '../../src/core/build/output.js';

describe('parseStep', () => {
  test.each([
    ['              +iso | --> SAVE ARTIFACT /build/* AS LOCAL ./build/', '+iso | --> SAVE ARTIFACT /build/* AS LOCAL ./build/'],
    ['  +build-iso | *cached* --> RUN sha256sum $ISO_NAME.iso', '+build-iso | *cached* --> RUN sha256sum $ISO_NAME.iso'],
    ['\u001b[33m+validate-user-data\u001b[0m | user-data file does not exist.\r', '+validate-user-data | user-data file does not exist.'],
    ['+base-image(amd64) | --> FROM ubuntu', '+base-image(amd64) | --> FROM ubuntu'],
    ['Init 🚀', undefined],
    ['+iso |   ', undefined],
    ['An error occurred while running the command.', undefined],
    ['a | b', undefined],
  ])('%j → %j', (line, step) => {
    expect(parseStep(line)).toBe(step);
  });

  test('lastStep finds the last step line of a block', () => {
    expect(lastStep(' +a | one\n +b | two\nplain line\n')).toBe('+b | two');
    expect(lastStep('nothing\nhere\n')).toBeUndefined();
  });
});

test.each([
  ['./earthly.sh: line 138: 1: command not found', true],
  ['./earthly.sh: line 320: 127: command not found\r', true],
  ['./earthly.sh: line 138: 0: command not found', false], // the success case of the same broken check
  ['bash: foo: command not found', false],
])('brokenErrorCheck(%j) = %s', (line, found) => {
  expect(brokenErrorCheck(['before', line, 'after'])).toBe(found);
});

test('stripAnsi removes colours and cursor moves', () => {
  expect(stripAnsi('\u001b[1;31mred\u001b[0m \u001b[2Kx\u001b]0;title\u0007')).toBe('red x');
});

describe('LineBlocks', () => {
  const feed = (blocks: LineBlocks, chunks: (string | Buffer)[]): string => {
    const out: Buffer[] = [];
    for (const c of chunks) out.push(blocks.push(Buffer.from(c)) ?? Buffer.alloc(0));
    out.push(blocks.end() ?? Buffer.alloc(0));
    return Buffer.concat(out).toString('utf8');
  };
  /** The same through pushEach (what the build step calls); every block it emits must be whole lines. */
  const feedEach = (blocks: LineBlocks, chunks: (string | Buffer)[]): string => {
    const out: Buffer[] = [];
    for (const c of chunks) {
      blocks.pushEach(Buffer.from(c), (block) => {
        expect(block.length).toBeGreaterThan(0);
        expect(block.at(-1)).toBe(10);
        out.push(block);
      });
    }
    out.push(blocks.end() ?? Buffer.alloc(0));
    return Buffer.concat(out).toString('utf8');
  };
  const text = (b: Buffer | undefined) => b?.toString();

  test('emits whole lines only and keeps the partial line for later', () => {
    const b = new LineBlocks([]);
    expect(text(b.push(Buffer.from('one\ntw')))).toBe('one\n');
    expect(b.push(Buffer.from('o'))).toBeUndefined();
    expect(text(b.push(Buffer.from('\nthree\nfour')))).toBe('two\nthree\n');
    expect(text(b.end())).toBe('four\n');
  });

  test('a block without secrets is passed on as it came', () => {
    const chunk = Buffer.from('plain\n');
    const out = new LineBlocks(['s3cr3t']).push(chunk)!;
    // The same bytes in memory: no copy, no decoding.
    expect([out.buffer, out.byteOffset, out.length]).toEqual([chunk.buffer, chunk.byteOffset, chunk.length]);
  });

  test('characters split across chunks survive, also in a cut long line', () => {
    const bytes = Buffer.from('é€😀 token s3cr3t é€😀 '.repeat(8));
    const chunks = [bytes.subarray(0, 1), bytes.subarray(1, 7), bytes.subarray(7, 101), bytes.subarray(101)];
    const expected = bytes.toString().split('s3cr3t').join('***');
    expect(feed(new LineBlocks(['s3cr3t']), chunks)).toBe(`${expected}\n`);
    expect(feed(new LineBlocks(['s3cr3t'], 16), chunks).replace(/\n/g, '')).toBe(expected);
  });

  test('a secret split across chunks is still redacted', () => {
    expect(feed(new LineBlocks(['hunter2']), ['token: hun', 'ter2 and hunter', '2\n'])).toBe('token: *** and ***\n');
  });

  test('an endless line without newline is cut without splitting a secret or growing without bound', () => {
    const b = new LineBlocks(['SECRET'], 16);
    const out = feed(b, ['x'.repeat(14), 'SECRET', 'y'.repeat(30)]);
    expect(out).not.toContain('SECRET');
    expect(out.replace(/\n/g, '')).toBe(`${'x'.repeat(14)}***${'y'.repeat(30)}`);
  });

  describe('a multi-line secret, echoed in its forms and split across chunks at every offset', () => {
    const secret = '-----BEGIN TOKEN-----\nMIIBsecret/line+two==\nab\nlast "line" \\ of it';
    const lines = secret.split('\n').filter((l) => l.length >= 4);
    const forms = [`${secret}\n`, `${JSON.stringify({ token: secret })}\n`, `token=$'${secret.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}'\n`, `  - ${JSON.stringify(lines[2])}\n`];
    const output = `start\n${forms.join('between\n')}end\n`;
    const leaks = (out: string): string[] => [...lines, ...lines.map((l) => JSON.stringify(l).slice(1, -1))].filter((l) => out.includes(l));

    test('every line of it is masked wherever the output is cut in two', () => {
      const bytes = Buffer.from(output);
      for (let i = 0; i <= bytes.length; i++) {
        const out = feed(new LineBlocks([secret]), [bytes.subarray(0, i), bytes.subarray(i)]);
        expect(feedEach(new LineBlocks([secret]), [bytes.subarray(0, i), bytes.subarray(i)])).toBe(out);
        expect(leaks(out), `cut at ${i}`).toEqual([]);
        // The rest of the output is kept; "ab" too short to mask alone, goes only with the whole secret.
        expect(out.split('\n').filter((l) => !l.includes('***') && l !== 'ab')).toEqual(['start', 'between', 'between', 'between', 'end', '']);
      }
    });

    test('also when cut into chunks of every size from 1 byte up', () => {
      const bytes = Buffer.from(output);
      for (let size = 1; size <= 64; size++) {
        const chunks: Buffer[] = [];
        for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
        expect(leaks(feed(new LineBlocks([secret]), chunks)), `chunks of ${size}`).toEqual([]);
        expect(leaks(feedEach(new LineBlocks([secret]), chunks)), `chunks of ${size}, pushEach`).toEqual([]);
      }
    });

    test('a secret whose lines are all short is masked whole, across chunks, lines held back only as long as needed', () => {
      const short = 'ab\ncd\nef';
      const bytes = Buffer.from(`x\n${short}\ny\nab\n`);
      for (let i = 0; i <= bytes.length; i++) {
        expect(feed(new LineBlocks([short]), [bytes.subarray(0, i), bytes.subarray(i)])).toBe('x\n***\ny\nab\n');
      }
      const b = new LineBlocks([short]);
      expect(text(b.push(Buffer.from('one\ntwo\nthree\nfour\n')))).toBe('one\ntwo\n');
      expect(text(b.end())).toBe('three\nfour\n');
      // An endless partial line after held lines is still cut: memory stays bounded.
      const long = new LineBlocks([short], 16);
      const out = text(long.push(Buffer.from(`one\n${'x'.repeat(100)}`)))!;
      expect(out.startsWith('one\n')).toBe(true);
      expect(out.length).toBeGreaterThan(80);
    });
  });

  test('property: any chunking gives the redacted text, line for line', () => {
    const secret = 's3cr3t';
    const alphabet = fc.constantFrom('a', 'b', '\n', 's3cr3t', 's3c', 'r3t', ' ');
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 60 }), fc.array(fc.nat(60), { maxLength: 8 }), (parts, cuts) => {
        const text = parts.join('');
        const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((x, y) => x - y);
        const chunks: string[] = [];
        let at = 0;
        for (const p of points) {
          chunks.push(text.slice(at, p));
          at = p;
        }
        chunks.push(text.slice(at));
        const out = feed(new LineBlocks([secret]), chunks);
        const expected = text.split(secret).join('***');
        expect(out).toBe(expected === '' || expected.endsWith('\n') ? expected : `${expected}\n`);
        expect(feedEach(new LineBlocks([secret]), chunks)).toBe(out);
        expect(feedEach(new LineBlocks([secret], 8), chunks)).toBe(feed(new LineBlocks([secret], 8), chunks));
        // With tiny lines cut for memory's sake: extra line breaks only, never a secret.
        const cutOut = feed(new LineBlocks([secret], 8), chunks);
        expect(cutOut.replace(/\n/g, '')).toBe(expected.replace(/\n/g, ''));
      }),
    );
  });
});

test('Tail keeps the last lines, bounded, without colours', () => {
  const t = new Tail(64);
  for (let i = 0; i < 100; i++) t.add(Buffer.from(`\u001b[32mline ${i}\u001b[0m\r\n`));
  expect(t.lines(3)).toEqual(['line 97', 'line 98', 'line 99']);
});

test.each([
  [0, '0s'],
  [59_999, '59s'],
  [61_000, '1m01s'],
  [3_723_000, '1h02m03s'],
])('formatElapsed(%i) = %s', (ms, text) => {
  expect(formatElapsed(ms)).toBe(text);
});
