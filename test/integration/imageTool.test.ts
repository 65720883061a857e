/** The fixtures' image tool runner repeats a run only when xorriso crashed (its "UNIX-SIGNAL" line or a signal). */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { runImageTool } from '../fixtures/imageTool.js';

const dir = mkdtempSync(join(tmpdir(), 'edgebuild-image-tool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in tool: each run appends to `runs`, then does what `script` says for that run's number ($n). */
function tool(name: string, script: string): { path: string; runs: () => number; out: string } {
  const path = join(dir, name);
  const runs = join(dir, `${name}.runs`);
  const out = join(dir, `${name}.iso`);
  writeFileSync(path, `#!/bin/bash\necho x >> ${runs}; n=$(wc -l < ${runs})\nout=${out}\n${script}\n`);
  chmodSync(path, 0o755);
  return { path, out, runs: () => readFileSync(runs, 'utf8').split('\n').length - 1 };
}

describe('runImageTool', () => {
  test('a crash is run again from a clean output', () => {
    const t = tool('crash-once', 'if [ "$n" = 1 ]; then echo partial > "$out"; echo "UNIX-SIGNAL:  SIGSEGV  errno= 0" >&2; exit 5; fi\n[ -e "$out" ] && exit 9\necho whole > "$out"');
    runImageTool(t.path, [], t.out);
    expect([t.runs(), readFileSync(t.out, 'utf8')]).toEqual([2, 'whole\n']);
  });

  test('a signal is a crash too', () => {
    // SIGKILL rather than SIGSEGV: no core file is dumped into the working directory.
    const t = tool('killed-once', 'if [ "$n" = 1 ]; then kill -KILL $$; fi\necho whole > "$out"');
    runImageTool(t.path, [], t.out);
    expect(t.runs()).toBe(2);
  });

  test('any other failure is thrown at once', () => {
    const t = tool('complains', 'echo "xorriso : FAILURE : Cannot find path" >&2; exit 5');
    expect(() => runImageTool(t.path, [], t.out)).toThrow(/Cannot find path/);
    expect(t.runs()).toBe(1);
  });

  test('three crashes in a row are thrown', () => {
    const t = tool('crashes', 'echo "UNIX-SIGNAL:  SIGSEGV" >&2; exit 5');
    expect(() => runImageTool(t.path, [], t.out)).toThrow(/UNIX-SIGNAL/);
    expect(t.runs()).toBe(3);
  });
});
