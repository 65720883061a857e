import { describe, expect, test } from 'vitest';
import { csvDelimiter, lineCursor, openSitesFile, parseSitesFile, safeFileName, sitesFormat } from '../../src/core/sites/table.js';
import { InputError } from '../../src/errors.js';

function failure(text: string, file: string): InputError {
  try {
    parseSitesFile(text, file);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error('expected an InputError');
}

describe('sitesFormat', () => {
  test.each([
    ['sites.csv', 'csv'],
    ['SITES.CSV', 'csv'],
    ['sites.yaml', 'yaml'],
    ['fleet/sites.yml', 'yaml'],
  ])('%s is %s', (file, format) => expect(sitesFormat(file)).toBe(format));

  test('other extensions are refused with exit 2', () => {
    expect(() => sitesFormat('sites.txt')).toThrow(InputError);
  });
});

describe('safeFileName', () => {
  test.each([
    ['berlin-01', 'berlin-01'],
    ['Berlin 01', 'Berlin-01'],
    ['../../etc/passwd', 'etc-passwd'],
    ['.hidden', 'hidden'],
    ['a/b\\c:d*e?f"g<h>i|j', 'a-b-c-d-e-f-g-h-i-j'],
    ['Zürich Hbf', 'Zurich-Hbf'],
    ['..', ''],
    ['東京', ''],
    ['x'.repeat(300), 'x'.repeat(100)],
    [`${'x'.repeat(99)} y`, 'x'.repeat(99)],
    ['CON', 'CON-site'],
    ['nul.txt', 'nul.txt-site'],
    ['console', 'console'],
  ])('%j → %j', (name, safe) => expect(safeFileName(name)).toBe(safe));
});

describe('CSV sites files', () => {
  test('quoted fields, doubled quotes, a BOM, CRLF and blank lines', () => {
    const text = '\uFEFFname,city,note\r\nberlin,"Ber: ""lin""","multi\r\nline"\r\n\r\nparis , 007 ,"  kept  "\r\n';
    const { rows, columns } = parseSitesFile(text, 'sites.csv');
    expect(columns).toEqual(['name', 'city', 'note']);
    expect(rows.map((r) => [r.row, r.line, r.name, Object.fromEntries(r.values)])).toEqual([
      [1, 2, 'berlin', { name: 'berlin', city: 'Ber: "lin"', note: 'multi\r\nline' }],
      [2, 5, 'paris', { name: 'paris', city: '007', note: '  kept  ' }],
    ]);
  });

  test.each([
    ['name;city\nberlin;"a, b"\n', ';'],
    ['name\tcity\nberlin\ta, b\n', '\t'],
    ['name,city\nberlin,"a; b"\n', ','],
  ])('the delimiter comes from the header row: %j', (text, delimiter) => {
    expect(csvDelimiter(text)).toBe(delimiter);
    expect(Object.fromEntries(parseSitesFile(text, 'sites.csv').rows[0]!.values)).toEqual({ name: 'berlin', city: delimiter === ',' ? 'a; b' : 'a, b' });
  });

  test('a "Name" column gets a fix saying names are case-sensitive', () => {
    expect(failure('Name,city\nx,y\n', 'sites.csv').fix).toMatch(/rename column "Name" to "name"/);
  });

  test('LF files count lines the same way', () => {
    const { rows } = parseSitesFile('name,a\nx,1\n\n\ny,2\n', 'sites.csv');
    expect(rows.map((r) => r.line)).toEqual([2, 5]);
  });

  test('an empty cell is a missing value', () => {
    const { rows } = parseSitesFile('name,a,b\nx,,2\n', 'sites.csv');
    expect(rows[0]!.values.has('a')).toBe(false);
    expect(rows[0]!.values.get('b')).toBe('2');
  });

  test.each([
    ['name,a\nx,1,2\n', 'sites-csv', 2],
    ['name,a\n"x,1\n', 'sites-csv', 2],
    ['name,name\nx,y\n', 'sites-header', 1],
    ['name,\nx,y\n', 'sites-header', 1],
    ['city\nberlin\n', 'sites-name', 1],
    ['name,city\n,berlin\n', 'sites-name', 2],
    ['name,city\n', 'sites-empty', undefined],
    ['', 'sites-empty', undefined],
  ])('%j fails with %s at line %s', (text, code, line) => {
    const error = failure(text, 'sites.csv');
    expect(error.code).toBe(code);
    expect(error.details.line).toBe(line);
    expect(error.message).toMatch(/^sites\.csv/);
  });
});

describe('line numbers in one pass', () => {
  test('the cursor looks at each byte once, however many rows ask', () => {
    const text = `name,a\r\n${Array.from({ length: 5000 }, (_, i) => `s${i},${i}\r\n${i % 7 === 0 ? '\r\n' : ''}`).join('')}`;
    const bytes = Buffer.from(text);
    const cursor = lineCursor(bytes);
    const ends = [...text.matchAll(/\r\n/g)].map((m) => m.index! + 2);
    const lines = ends.map((end) => cursor.lineAt(end));
    expect(cursor.scanned).toBeLessThanOrEqual(bytes.length);
    // The line of each offset is the number of LFs before it, after skipping blank lines, plus one
    // (counted here from the split lines' lengths, independently of the cursor).
    const starts: number[] = [];
    let offset = 0;
    for (const line of text.split('\n')) {
      starts.push(offset);
      offset += line.length + 1;
    }
    const expected = ends.map((end) => {
      let at = end;
      while (text[at] === '\r' || text[at] === '\n') at++;
      let line = 0;
      while (line + 1 < starts.length && starts[line + 1]! <= at) line++;
      return line + 1;
    });
    expect(lines).toEqual(expected);
  });

  test('rows of a large CSV carry their line numbers, blank lines counted', () => {
    const text = `name\n${Array.from({ length: 3000 }, (_, i) => `s${i}\n${i === 1000 ? '\n\n' : ''}`).join('')}`;
    const { rows } = parseSitesFile(text, 'sites.csv');
    expect(rows[0]!.line).toBe(2);
    expect(rows[1000]!.line).toBe(1002);
    expect(rows[1001]!.line).toBe(1005);
    expect(rows[2999]!.line).toBe(3003);
  });

  test('parsing a CSV file numbers its lines in one pass: bytes looked at stay within its size, for 20,000 rows', () => {
    const text = `name,a\n${Array.from({ length: 20000 }, (_, i) => `s${i},"x\ny"\n`).join('')}`;
    const source = openSitesFile(text, 'sites.csv');
    expect(source.count).toBe(20000);
    expect(source.lineBytesScanned).toBeGreaterThan(0);
    expect(source.lineBytesScanned).toBeLessThanOrEqual(Buffer.byteLength(text));
    expect([...source.rows()].at(-1)!.line).toBe(40000);
  });

  test('offsets asked for out of order are a programming error, not a silent wrong line', () => {
    const cursor = lineCursor(Buffer.from('a\nb\nc\n'));
    cursor.lineAt(4);
    expect(() => cursor.lineAt(1)).toThrow(RangeError);
  });
});

describe('YAML sites files', () => {
  test('values are the text as written: 007, yes, null, 1e3, true stay those characters', () => {
    const text = ['- name: a', '  zip: 007', '  ok: yes', '  none: null', '  n: 1e3', '  t: true', "  q: 'x: y'", '  hex: 0x1F', '  empty: ""', '  blank:', ''].join('\n');
    const [row] = parseSitesFile(text, 'sites.yaml').rows;
    expect(Object.fromEntries(row!.values)).toEqual({ name: 'a', zip: '007', ok: 'yes', none: 'null', n: '1e3', t: 'true', q: 'x: y', hex: '0x1F' });
  });

  test('merge keys share defaults; the site wins', () => {
    const text = ['- &defaults', '  name: template', '  city: berlin', '  vlan: 10', '- <<: *defaults', '  name: b', '  vlan: 20', ''].join('\n');
    const { rows } = parseSitesFile(text, 'sites.yaml');
    expect(Object.fromEntries(rows[1]!.values)).toEqual({ name: 'b', city: 'berlin', vlan: '20' });
    expect(rows.map((r) => r.line)).toEqual([2, 5]);
  });

  test.each([
    ['name: a\n', 'sites-yaml', 1],
    ['- name: a\n  tags: [x, y]\n', 'sites-value', 2],
    ['- name: a\n  name: b\n', 'sites-yaml', 2],
    ['- [a]\n', 'sites-yaml', 1],
    ['- name: a\n---\n- name: b\n', 'sites-yaml', undefined],
    ['- name: a\n  city: "x\n', 'sites-yaml', 3], // the parser notices the open quote at the end
    ['', 'sites-empty', undefined],
  ])('%j fails with %s at line %s', (text, code, line) => {
    const error = failure(text, 'sites.yaml');
    expect(error.code).toBe(code);
    expect(error.details.line).toBe(line);
  });
});

describe('site names', () => {
  test('names that land on the same file, ignoring case, are duplicates naming both rows', () => {
    const error = failure('name\nBerlin 01\nx\nberlin-01\n', 'sites.csv');
    expect(error.code).toBe('sites-duplicate');
    expect(error.message).toContain('sites.csv:4');
    expect(error.message).toContain('row 3');
    expect(error.message).toContain('row 1, line 2');
    expect(error.details).toMatchObject({ site: 'berlin-01', row: 3, field: 'name' });
  });

  test('names whose file names share a hash are not duplicates; a real duplicate after them names its row', () => {
    const error = failure('name\ns6rnw\nsnpba\nSNPBA\n', 'sites.csv');
    expect(error.code).toBe('sites-duplicate');
    expect(error.message).toContain('like site "snpba" (row 2, line 3)');
    expect(parseSitesFile('name\ns6rnw\nsnpba\n', 'sites.csv').rows.map((r) => r.fileName)).toEqual(['s6rnw', 'snpba']);
  });

  test('a name with nothing file-safe in it is refused', () => {
    expect(failure('name\n東京\n', 'sites.csv').code).toBe('sites-name');
  });

  test('the file name is derived, the name value is kept as written', () => {
    const [row] = parseSitesFile('name\nZürich Hbf\n', 'sites.csv').rows;
    expect(row).toMatchObject({ name: 'Zürich Hbf', fileName: 'Zurich-Hbf' });
  });
});
