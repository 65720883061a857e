import { expect, test } from 'vitest';
import { formatChecksumLine, parseChecksumFile } from '../../src/core/checksumFile.js';

const H = 'ab'.repeat(32);

test.each([
  [`${H}  installer.iso\n`, [{ sha256: H, name: 'installer.iso' }]],
  [`${H} *installer.iso\n`, [{ sha256: H, name: 'installer.iso' }]],
  [`${H.toUpperCase()}  ./installer.iso\r\n`, [{ sha256: H, name: 'installer.iso' }]],
  [`${H}  my installer.iso\n`, [{ sha256: H, name: 'my installer.iso' }]],
  [`garbage\n${H}installer.iso\n${H.slice(2)}  x.iso\n`, []],
  ['', []],
])('parseChecksumFile(%j)', (text, entries) => {
  expect(parseChecksumFile(text)).toEqual(entries);
});

test('formatChecksumLine writes what sha256sum -c reads', () => {
  const line = formatChecksumLine(H, 'x.iso');
  expect(line).toBe(`${H}  x.iso\n`);
  expect(parseChecksumFile(line)).toEqual([{ sha256: H, name: 'x.iso' }]);
});
