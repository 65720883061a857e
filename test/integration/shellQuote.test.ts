/** The shell-quoted form of a secret, as masked in build logs, is exactly what bash's printf %q prints. */
import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { shellQuotedForm } from '../../src/core/secrets.js';

describe('shellQuotedForm is what bash prints for printf %q', () => {
  test.each(['pa"ss w\\rd$x', "a'b!c{d}e,f~g#h=i%j+k@l:m", '~home', '#x', 'l1\nl2', 'tab\there', 'a\x01b\x7fc\x1bd', "it's\nx\\y", 'é€😀', 'a*b?c[d]e^f|g&h;i(j)k<l>m`n=o/p.q_r-s'])('%j', (text) => {
    const bash = spawnSync('bash', ['-c', 'printf %q "$1"', 'bash', text], { encoding: 'utf8', env: { LC_ALL: 'C.UTF-8', PATH: process.env.PATH } });
    expect(bash.status).toBe(0);
    expect(shellQuotedForm(text)).toBe(bash.stdout);
  });
});
