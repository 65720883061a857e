/**
 * The sites file: one row per edge site, as a YAML list of maps or a CSV file
 * with a header row. Every value is text, exactly as written: `007`, `yes`,
 * `null` and `1e3` stay those characters. Pure: text in, rows out.
 */
import { Parser, type Options as CsvOptions } from 'csv-parse';
import { CsvError, parse as parseCsv } from 'csv-parse/sync';
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseAllDocuments } from 'yaml';
import type { Document, Node, Scalar } from 'yaml';
import { InputError, inputErrorAt } from '../../errors.js';
import { yamlSyntaxError } from '../yamlSchema.js';
import { NumberList, RowsByKey } from './rowIndex.js';

export interface SiteRow {
  /** 1-based data row (the CSV header and YAML list are not counted). */
  row: number;
  /** 1-based line in the sites file where the row starts. */
  line: number;
  name: string;
  /** The file name of the site's ISO, without `.iso`. */
  fileName: string;
  /** Present, non-empty values by column. */
  values: ReadonlyMap<string, string>;
}

export interface SitesTable {
  rows: SiteRow[];
  /** Every column seen, in first-seen order. */
  columns: string[];
}

/** A checked sites file whose rows are made one at a time, in order, when iterated. */
export interface SitesSource {
  columns: string[];
  count: number;
  /** Bytes of a CSV file looked at to number its rows' lines: one pass, at most its size, however many rows (observable by tests). */
  lineBytesScanned: number;
  rows(): Iterable<SiteRow>;
}

const NAME_COLUMN = 'name';

export function sitesFormat(file: string): 'csv' | 'yaml' {
  if (/\.csv$/i.test(file)) return 'csv';
  if (/\.ya?ml$/i.test(file)) return 'yaml';
  throw new InputError(`${file}: unknown sites file type`, { code: 'sites-format', fix: 'name the sites file *.csv (with a header row) or *.yaml / *.yml (a list of maps)' });
}

/**
 * A name that is safe as a file name on Linux, macOS and Windows: letters,
 * digits, '.', '_' and '-'; anything else becomes '-'. Never empty, never
 * hidden, never '.' or '..'.
 */
export function safeFileName(name: string): string {
  const safe = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '') // é → e
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[.-]+/, '')
    .slice(0, 100)
    .replace(/[.-]+$/, '');
  // Windows cannot open CON.iso or nul.iso, whatever the extension.
  return /^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\..*)?$/i.test(safe) ? `${safe}-site` : safe;
}

interface RawRow {
  line: number;
  values: Map<string, string>;
}

/** Spreadsheets in many locales save ';'-separated "CSV"; the header row tells which. */
export function csvDelimiter(text: string): string {
  const header = text.replace(/^\uFEFF/, '').split('\n', 1)[0]!;
  if (header.includes(',')) return ',';
  if (header.includes(';')) return ';';
  if (header.includes('\t')) return '\t';
  return ',';
}

/**
 * Line numbers of byte offsets asked for in increasing order, in one pass over
 * the bytes: each call scans only from where the previous one stopped, so a
 * file of n rows costs O(size), not O(n × size). `scanned` counts the bytes
 * looked at, for tests.
 */
export function lineCursor(bytes: Uint8Array): { lineAt(offset: number): number; readonly scanned: number } {
  let position = 0;
  let line = 1;
  let scanned = 0;
  return {
    lineAt(offset: number): number {
      // A record starts after the line breaks that end the previous one.
      let at = offset;
      while (bytes[at] === 0x0d || bytes[at] === 0x0a) at++;
      if (at < position) throw new RangeError('lineCursor: offsets must not decrease');
      for (; position < at; position++, scanned++) if (bytes[position] === 0x0a) line++;
      return line;
    },
    get scanned() {
      return scanned;
    },
  };
}

function csvHeader(record: string[], file: string): string[] {
  const columns = record.map((c) => c.replace(/^\uFEFF/, ''));
  const seen = new Set<string>();
  columns.forEach((c, i) => {
    if (c === '') throw inputErrorAt({ file, line: 1 }, `column ${i + 1} of the header has no name`, { code: 'sites-header', fix: 'name every column in the header row' });
    if (seen.has(c)) throw inputErrorAt({ file, line: 1 }, `column "${c}" appears twice in the header`, { code: 'sites-header', fix: 'rename or remove one of them' });
    seen.add(c);
  });
  return columns;
}

function csvOptions(text: string) {
  return { bom: true, trim: true, skip_empty_lines: true, delimiter: csvDelimiter(text) };
}

function valuesOf(record: string[], columns: readonly string[]): Map<string, string> {
  const values = new Map<string, string>();
  record.forEach((v, i) => {
    if (v !== '') values.set(columns[i]!, v);
  });
  return values;
}

/** csv-parse's parser, as csv-parse/sync runs it: records are handed over one at a time, and `info.bytes` is where the last one ended. */
interface CsvApi {
  parse(data: Buffer, end: boolean, push: (record: string[]) => void, close: () => void): Error | undefined;
  readonly info: { readonly bytes: number };
}

/**
 * Parses `bytes` as csv-parse/sync does, handing each record and the byte offset where it
 * ends to `onRecord`, and keeping none. Not through the `on_record` option, which gives the
 * same offset but builds two objects per record by spreading (`{ ...info }`), and V8 (11.3,
 * Node 20) promotes objects built so to its old generation: 50,000 rows left about
 * 30 MiB of RSS behind, mostly garbage.
 */
function csvRecords(bytes: Buffer, options: CsvOptions, onRecord: (record: string[], end: number) => void): void {
  const api = (new Parser(options) as unknown as { api?: CsvApi }).api;
  if (typeof api?.parse !== 'function') throw new Error('internal: csv-parse has no parser api to read record offsets from');
  const error = api.parse(bytes, true, (record) => onRecord(record, api.info.bytes), () => undefined);
  if (error !== undefined) throw error;
}

/**
 * Reads the CSV once, handing each data record to `onRow` with its line, the byte offset
 * where it starts (after the previous record) and the header, and keeping none of them.
 */
function csvScan(bytes: Buffer, text: string, file: string, onRow: (record: string[], line: number, start: number, columns: readonly string[]) => void): { columns: string[]; lineBytesScanned: number } {
  // csv-parse's own line counter is off by one on CRLF files; count from byte offsets.
  const lines = lineCursor(bytes);
  let columns: string[] | undefined;
  let previousEnd = 0;
  try {
    csvRecords(bytes, csvOptions(text), (record, end) => {
      const start = previousEnd;
      previousEnd = end;
      if (!columns) columns = csvHeader(record, file);
      else onRow(record, lines.lineAt(start), start, columns);
    });
  } catch (error) {
    if (error instanceof CsvError) {
      const line = (error as CsvError & { lines?: number }).lines;
      throw inputErrorAt({ file, line }, `invalid CSV: ${error.message.replace(/ (on|at) line \d+$/, '')}`, {
        code: 'sites-csv',
        fix: 'give every row as many fields as the header and close every quote ("" inside a quoted field)',
      });
    }
    throw error;
  }
  if (!columns) throw new InputError(`${file}: the sites file is empty`, { code: 'sites-empty', fix: `add a header row with a ${NAME_COLUMN} column and one row per site` });
  return { columns, lineBytesScanned: lines.scanned };
}

/** A plain `007` is the int 7 to a YAML parser; a site value is the text the user typed. */
function scalarText(node: Scalar): string | undefined {
  if (node.value === null && (node.source === undefined || node.source === '')) return undefined;
  if (typeof node.value === 'string') return node.value;
  if (node.type === 'PLAIN' && typeof node.source === 'string') return node.source;
  return String(node.value);
}

function yamlRows(text: string, file: string): { rows: RawRow[]; columns: string[] } {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  if (Array.isArray(docs) && docs.length === 0) return { rows: [], columns: [] };
  if (!Array.isArray(docs) || docs.length !== 1) {
    throw new InputError(`${file}: the sites file must hold exactly one YAML document`, { code: 'sites-yaml', fix: 'write one list of maps, one map per site, without "---" separators' });
  }
  const doc: Document.Parsed = docs[0]!;
  const error = doc.errors[0];
  if (error) throw yamlSyntaxError(error, file, lines, 'sites');
  const at = (node: { range?: [number, number, number] | null | undefined } | null | undefined): { file: string; line?: number; col?: number } => {
    const offset = node?.range?.[0];
    return offset === undefined ? { file } : { file, ...lines.linePos(offset) };
  };
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return { rows: [], columns: [] };
  if (!isSeq(root)) throw inputErrorAt(at(root), 'the sites file is not a list', { code: 'sites-yaml', fix: 'write one "- name: ..." map per site' });
  const deref = (node: unknown): unknown => (isAlias(node) ? node.resolve(doc) : node);
  const columns: string[] = [];
  const rows = root.items.map((item) => {
    const map = deref(item);
    if (!isMap(map)) throw inputErrorAt(at(item as Node), 'a site is not a map of column: value', { code: 'sites-yaml', fix: 'write each site as "- name: ..." followed by indented "column: value" lines' });
    const values = new Map<string, string>();
    const explicit = new Set<string>();
    const take = (pairs: typeof map.items, merged: boolean): void => {
      for (const pair of pairs) {
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        if (key === undefined) throw inputErrorAt(at(pair.key as Node), 'a column name is not text', { code: 'sites-yaml', fix: 'use plain words as column names' });
        if (key === '<<' && !merged) {
          // Merge keys (`<<: *defaults`) let a fleet share values; the site's own keys win.
          const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
          for (const source of sources) {
            const target = deref(source);
            if (!isMap(target)) throw inputErrorAt(at(pair.value as Node), '"<<" must refer to a map', { code: 'sites-yaml', fix: 'merge a map of defaults: "<<: *defaults"' });
            take(target.items, true);
          }
          continue;
        }
        if (merged && explicit.has(key)) continue;
        if (merged && values.has(key)) continue;
        const value = deref(pair.value);
        if (value !== null && value !== undefined && !isScalar(value)) {
          throw inputErrorAt(at(pair.value as Node), `the value of "${key}" is a ${isSeq(value) ? 'list' : 'map'}; site values are text`, { code: 'sites-value', fix: `give "${key}" one value, or split it into several columns` });
        }
        if (!merged) explicit.add(key);
        if (!columns.includes(key)) columns.push(key);
        const text = value ? scalarText(value) : undefined;
        if (text !== undefined && text !== '') values.set(key, text);
        else values.delete(key);
      }
    };
    take(map.items.filter((p) => !(isScalar(p.key) && p.key.value === '<<')), false);
    take(map.items.filter((p) => isScalar(p.key) && p.key.value === '<<'), false);
    return { line: at(item as Node).line ?? 1, values };
  });
  return { rows, columns };
}

/** Records parsed again per batch of rows: the table is never held whole, and csv-parse is set up once per batch. */
const CSV_BATCH = 32;

function checkColumns(columns: string[], count: number, file: string): void {
  if (count === 0) throw new InputError(`${file}: the sites file holds no sites`, { code: 'sites-empty', fix: 'add one row per site' });
  if (!columns.includes(NAME_COLUMN)) {
    const near = columns.find((c) => c.trim().toLowerCase() === NAME_COLUMN);
    throw inputErrorAt({ file, line: 1 }, `there is no "${NAME_COLUMN}" column`, {
      code: 'sites-name',
      fix: near ? `rename column "${near}" to "${NAME_COLUMN}" (column names are case-sensitive)` : `add a "${NAME_COLUMN}" column: it names each site and its ISO file`,
    });
  }
}

interface Named {
  name: string;
  row: number;
  line: number;
}

/** The earlier site whose ISO has the file name `key` (lower-cased), after recording this one under it when there is none. */
type SeenFiles = (key: string, site: Named) => Named | undefined;

/** The site's name and file name; throws when it has none or shares its file with an earlier site in `seen`. */
function siteName(name: string | undefined, line: number, row: number, file: string, seen?: SeenFiles): { name: string; fileName: string } {
  const place = { file, line };
  const details = { row, field: NAME_COLUMN };
  if (name === undefined) throw inputErrorAt(place, `site in row ${row} has no ${NAME_COLUMN}`, { code: 'sites-name', fix: 'give every site a name', details });
  const fileName = safeFileName(name);
  if (fileName === '') throw inputErrorAt(place, `site ${JSON.stringify(name)} (row ${row}) has no letters or digits to make a file name of`, { code: 'sites-name', fix: 'use letters, digits, "-", "_" or "." in site names', details: { ...details, site: name } });
  // Case-insensitive file systems would merge them.
  const clash = seen?.(fileName.toLowerCase(), { name, row, line });
  if (clash) {
    throw inputErrorAt(place, `site ${JSON.stringify(name)} (row ${row}) would be written to ${fileName}.iso, like site ${JSON.stringify(clash.name)} (row ${clash.row}, line ${clash.line})`, {
      code: 'sites-duplicate',
      fix: 'give every site a distinct name',
      details: { ...details, site: name, other: { site: clash.name, row: clash.row, line: clash.line } },
    });
  }
  return { name, fileName };
}

/** SeenFiles for rows held anyway (a YAML sites file): a Map. */
function seenInMap(): SeenFiles {
  const byFile = new Map<string, Named>();
  return (key, site) => {
    const clash = byFile.get(key);
    if (!clash) byFile.set(key, site);
    return clash;
  };
}

/**
 * Parses and checks a sites file (names present, file-safe, unique) without holding its
 * rows: a CSV file is read once to check it, keeping only each row's offset, line and
 * name, and its rows are parsed again a batch at a time as they are iterated. Every
 * input error is thrown here, before the first row is handed out.
 */
export function openSitesFile(text: string, file: string): SitesSource {
  if (sitesFormat(file) === 'yaml') {
    const { rows: raw, columns } = yamlRows(text, file);
    checkColumns(columns, raw.length, file);
    const seen = seenInMap();
    const rows = raw.map((r, i): SiteRow => ({ row: i + 1, line: r.line, ...siteName(r.values.get(NAME_COLUMN), r.line, i + 1, file, seen), values: r.values }));
    return { columns, count: rows.length, lineBytesScanned: 0, rows: () => rows };
  }
  const bytes = Buffer.from(text, 'utf8');
  const options = { trim: true, skip_empty_lines: true, delimiter: csvDelimiter(text) };
  const starts = new NumberList();
  const lines = new NumberList();
  /** The records of rows `first` (0-based) up to `last`; a row is read up to the next one's start, so the last row only once the scan is over. */
  const records = (first: number, last: number): string[][] => {
    const to = last < starts.length ? starts.at(last) : bytes.length;
    const parsed = parseCsv(bytes.subarray(starts.at(first), to), options) as string[][];
    if (parsed.length !== last - first) throw new Error(`internal: ${file} read differently from row ${first + 1}`);
    return parsed;
  };
  const byFile = new RowsByKey();
  let nameIndex = -1;
  // Only a hash and a row per site: a hash that matches reads the earlier row's name again.
  const seen: SeenFiles = (key, site) => {
    const other = byFile.findOrAdd(key, site.row - 1, (row) => safeFileName(records(row, row + 1)[0]![nameIndex]!).toLowerCase());
    return other === undefined ? undefined : { name: records(other, other + 1)[0]![nameIndex]!, row: other + 1, line: lines.at(other) };
  };
  let nameError: unknown;
  const { columns, lineBytesScanned } = csvScan(bytes, text, file, (record, line, start, header) => {
    starts.push(start);
    lines.push(line);
    // Kept for after the scan: a CSV syntax error anywhere, or a missing name column, is reported first.
    if (nameError === undefined) {
      try {
        // Only the name: no map of values is made for a row here.
        nameIndex = header.indexOf(NAME_COLUMN);
        const name = record[nameIndex];
        siteName(name === '' ? undefined : name, line, starts.length, file, seen);
      } catch (error) {
        nameError = error;
      }
    }
  });
  checkColumns(columns, starts.length, file);
  if (nameError !== undefined) throw nameError;
  const header = columns;
  function* rows(): Generator<SiteRow> {
    for (let first = 0; first < starts.length; first += CSV_BATCH) {
      const batch = records(first, Math.min(first + CSV_BATCH, starts.length));
      for (let i = 0; i < batch.length; i++) {
        const values = valuesOf(batch[i]!, header);
        const line = lines.at(first + i);
        yield { row: first + i + 1, line, ...siteName(values.get(NAME_COLUMN), line, first + i + 1, file), values };
      }
    }
  }
  return { columns, count: starts.length, lineBytesScanned, rows };
}

/** Parses a sites file and checks names: present, file-safe, unique. */
export function parseSitesFile(text: string, file: string): SitesTable {
  const source = openSitesFile(text, file);
  return { rows: [...source.rows()], columns: source.columns };
}
