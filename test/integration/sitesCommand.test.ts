/**
 * `edgebuild sites`: real files in, real ISOs out, read back with blkid, isoinfo, xorriso and
 * our reader. Run in-process through run(argv, io) from the source, except where the run needs
 * its worker threads (600 sites) or the process itself (Ctrl-C): the built CLI as a subprocess
 * (run `npm run build` first; `npm test` does).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCli, type CliResult } from './cli.js';
import { parse } from 'yaml';
import { openIso } from '../../src/adapters/iso9660Reader.js';
import { compileTemplate, renderSite } from '../../src/core/sites/template.js';

const CLI = resolve('dist/cli/main.js');
const TOKEN = 'tok-9f8e7d6c5b4a';
const TEMPLATE = [
  '#cloud-config',
  'stylus:',
  '  site:',
  '    paletteEndpoint: api.spectrocloud.com',
  '    edgeHostToken: ${env:EDGE_TOKEN}',
  '    name: ${site:name}',
  '    tags:',
  '      city: ${site:city}',
  '      zip: ${site:zip}',
  '      note: "$${not-a-placeholder}"',
  '    network:',
  '      staticIp:',
  '        ipCidr: ${site:ip}',
  '',
].join('\n');
const CSV = ['\uFEFFname,city,zip,ip', 'berlin-01,"Berlin: ""Mitte"" # 1",007,10.0.0.1/24', 'Paris 02,yes,null,10.0.0.2/24', 'rome-03,1e3,true,10.0.0.3/24', ''].join('\r\n');

let work: string;

/** `edgebuild sites` in-process through run(argv, io) (./cli.ts): the source, no Node.js start per run. */
function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runCli(args, { cwd: work, env: { EDGE_TOKEN: TOKEN, SOURCE_DATE_EPOCH: '1767225600', ...env } });
}

/** The built CLI as a subprocess: where a run needs its worker threads (their entries are dist/'s .js files). */
function builtCli(args: string[]): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: work, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', EDGE_TOKEN: TOKEN, SOURCE_DATE_EPOCH: '1767225600' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tool(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function expectedUserData(values: Record<string, string>): string {
  const template = compileTemplate(TEMPLATE, 'template.yaml');
  return renderSite(template, { name: values.name!, row: 1, place: { file: 'sites.csv' }, value: (f) => values[f], env: { EDGE_TOKEN: TOKEN } }).text;
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error('dist/cli/main.js is missing: run npm run build first');
  work = mkdtempSync(join(tmpdir(), 'edgebuild-sites-'));
  writeFileSync(join(work, 'template.yaml'), TEMPLATE);
  writeFileSync(join(work, 'sites.csv'), CSV);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('edgebuild sites', () => {
  let result: CliResult;
  const SITES = [
    { name: 'berlin-01', file: 'berlin-01.iso', city: 'Berlin: "Mitte" # 1', zip: '007', ip: '10.0.0.1/24' },
    { name: 'Paris 02', file: 'Paris-02.iso', city: 'yes', zip: 'null', ip: '10.0.0.2/24' },
    { name: 'rome-03', file: 'rome-03.iso', city: '1e3', zip: 'true', ip: '10.0.0.3/24' },
  ];

  beforeAll(async () => {
    result = await cli(['sites', '--sites', 'sites.csv', '--template', 'template.yaml', '--out', 'out', '--json']);
  });

  test('exits 0 with exactly one JSON document on stdout', () => {
    expect(result.code, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as { status: string; count: number; volumeId: string; sites: { name: string; file: string }[] };
    expect(doc).toMatchObject({ status: 'written', count: 3, volumeId: 'cidata', out: join(work, 'out') });
    expect(doc.sites.map((s) => [s.name, s.file])).toEqual(SITES.map((s) => [s.name, s.file]));
  });

  test('never prints or records the secret', () => {
    expect(result.stdout + result.stderr).not.toContain(TOKEN);
    expect(readFileSync(join(work, 'out', 'sites.json'), 'utf8')).not.toContain(TOKEN);
  });

  test('sites.json lists each file with its real size and sha256', () => {
    const manifest = JSON.parse(readFileSync(join(work, 'out', 'sites.json'), 'utf8')) as { volumeId: string; sites: { file: string; size: number; sha256: string }[] };
    expect(manifest.volumeId).toBe('cidata');
    expect(manifest.sites).toHaveLength(3);
    for (const s of manifest.sites) {
      const bytes = readFileSync(join(work, 'out', s.file));
      expect(s.size).toBe(bytes.length);
      expect(s.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
    expect(readdirSync(join(work, 'out')).sort()).toEqual(['Paris-02.iso', 'berlin-01.iso', 'rome-03.iso', 'sites.json']);
    expect(statSync(join(work, 'out', 'berlin-01.iso')).mode & 0o777).toBe(0o600);
  });

  test.each(SITES.map((s) => [s.name, s]))('%s: blkid, isoinfo (plain, Joliet, Rock Ridge), xorriso and our reader all read the rendered user-data', async (_name, s) => {
    const iso = join(work, 'out', s.file);
    const want = expectedUserData({ name: s.name, city: s.city, zip: s.zip, ip: s.ip });
    // What the row says is what the YAML means: strings with exactly that text.
    expect(parse(want).stylus.site).toMatchObject({ name: s.name, edgeHostToken: TOKEN, tags: { city: s.city, zip: s.zip, note: '${not-a-placeholder}' }, network: { staticIp: { ipCidr: s.ip } } });

    const blkid = tool('blkid', ['-p', '-o', 'export', iso]);
    expect(blkid).toMatch(/^LABEL=cidata$/m);
    expect(blkid).toMatch(/^TYPE=iso9660$/m);
    expect(tool('isoinfo', ['-d', '-i', iso])).toMatch(/^Volume id: cidata$/m);
    expect(tool('isoinfo', ['-l', '-i', iso])).toMatch(/USER_DAT\.;1/);
    expect(tool('isoinfo', ['-J', '-l', '-i', iso])).toMatch(/ user-data/);
    expect(tool('isoinfo', ['-R', '-l', '-i', iso])).toMatch(/ meta-data/);
    expect(tool('isoinfo', ['-i', iso, '-x', '/USER_DAT.;1'])).toBe(want);
    expect(tool('isoinfo', ['-J', '-i', iso, '-x', '/user-data'])).toBe(want);
    expect(tool('isoinfo', ['-R', '-i', iso, '-x', '/user-data'])).toBe(want);
    expect(tool('isoinfo', ['-R', '-i', iso, '-x', '/meta-data'])).toBe('');

    const extracted = join(work, `x-${s.file}`);
    tool('xorriso', ['-indev', iso, '-osirrox', 'on', '-extract', '/', extracted]);
    expect(readFileSync(join(extracted, 'user-data'), 'utf8')).toBe(want);
    expect(readFileSync(join(extracted, 'meta-data'), 'utf8')).toBe('');

    const image = await openIso(iso);
    try {
      expect(image.volumeId).toBe('cidata');
      expect((await image.readFile('user-data'))?.toString('utf8')).toBe(want);
    } finally {
      await image.close();
    }
  });

  test('looks to isoinfo like what Palette\'s documented mkisofs command makes', () => {
    const dir = join(work, 'mkisofs');
    mkdirSync(dir);
    const want = expectedUserData({ name: 'berlin-01', city: SITES[0]!.city, zip: '007', ip: '10.0.0.1/24' });
    writeFileSync(join(dir, 'user-data'), want);
    writeFileSync(join(dir, 'meta-data'), '');
    execFileSync('genisoimage', ['-quiet', '-output', 'site.iso', '-volid', 'cidata', '-joliet', '-rock', 'user-data', 'meta-data'], { cwd: dir });
    const ours = join(work, 'out', 'berlin-01.iso');
    const theirs = join(dir, 'site.iso');
    const summary = (iso: string): string[] => tool('isoinfo', ['-d', '-i', iso]).split('\n').filter((l) => /^(Volume id|Logical block size|Joliet|Rock Ridge)/.test(l));
    expect(summary(ours)).toEqual(summary(theirs));
    for (const flags of [[], ['-J'], ['-R']]) {
      const files = (iso: string): string => tool('isoinfo', [...flags, '-f', '-i', iso]);
      expect(files(ours)).toBe(files(theirs));
    }
  });

  test('the same rows and SOURCE_DATE_EPOCH give byte-identical ISOs', async () => {
    const again = await cli(['sites', '-s', 'sites.csv', '-t', 'template.yaml', '-o', 'again']);
    expect(again.code, again.stderr).toBe(0);
    expect(readFileSync(join(work, 'again', 'rome-03.iso')).equals(readFileSync(join(work, 'out', 'rome-03.iso')))).toBe(true);
  });
});

describe('edgebuild sites: failures write nothing', () => {
  function leftovers(): string[] {
    return readdirSync(work).filter((n) => n.startsWith('.'));
  }

  test('a missing value: exit 2 naming site, row, line and field; no --out, no staging left', async () => {
    writeFileSync(join(work, 'missing.csv'), 'name,city,zip,ip\na,x,1,ip\nb,,2,ip\nc,z,3,ip\n');
    const r = await cli(['sites', '-s', 'missing.csv', '-t', 'template.yaml', '-o', 'missing-out', '--json']);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout) as { status: string; error: Record<string, unknown> };
    expect(doc.status).toBe('error');
    expect(doc.error).toMatchObject({ code: 'site-missing-value', site: 'b', row: 2, line: 3, field: 'city', file: 'missing.csv' });
    expect(r.stderr).toContain('missing.csv:3: site "b" (row 2): no value for ${site:city}');
    expect(existsSync(join(work, 'missing-out'))).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  test.each([
    ['a Latin-1 byte in the sites table', 'bad.csv', Buffer.from('name,city,zip,ip\na,M\xfcnchen,1,ip\n', 'latin1'), /^error: bad\.csv:2:4: not valid UTF-8 \(byte 0xFC\)\. Fix: save the file as UTF-8/],
    ['a NUL in the sites table', 'nul.csv', Buffer.from('name,city,zip,ip\na,x\u0000,1,ip\n'), /^error: nul\.csv:2:4: control character U\+0000 \(NUL\)/],
    ['a C1 control in the template', 'c1.yaml', Buffer.from(TEMPLATE.replace('paletteEndpoint: api', 'paletteEndpoint: \u0085api')), /^error: c1\.yaml:4:22: control character U\+0085 \(NEL\)/],
  ])('%s: exit 2 with file:line:col, nothing written', async (_, name, content, message) => {
    writeFileSync(join(work, name), content);
    const args = name.endsWith('.csv') ? ['-s', name, '-t', 'template.yaml'] : ['-s', 'sites.csv', '-t', name];
    const r = await cli(['sites', ...args, '-o', 'bytes-out']);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(existsSync(join(work, 'bytes-out'))).toBe(false);
  });

  test('duplicate names: exit 2 naming both rows', async () => {
    writeFileSync(join(work, 'dup.yaml'), '- {name: a, city: x, zip: "1", ip: y}\n- {name: A, city: x, zip: "1", ip: y}\n');
    const r = await cli(['sites', '-s', 'dup.yaml', '-t', 'template.yaml', '-o', 'dup-out']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/dup\.yaml:2: site "A" \(row 2\) would be written to A\.iso, like site "a" \(row 1, line 1\)/);
    expect(existsSync(join(work, 'dup-out'))).toBe(false);
  });

  test('an unused column is a warning on stderr, not an error', async () => {
    writeFileSync(join(work, 'extra.csv'), 'name,city,zip,ip,rack\na,x,1,ip,r1\n');
    const r = await cli(['sites', '-s', 'extra.csv', '-t', 'template.yaml', '-o', 'extra-out', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('warning: extra.csv: column "rack" is used by no ${site:rack} placeholder');
    expect((JSON.parse(r.stdout) as { warnings: string[] }).warnings).toHaveLength(1);
  });

  test('an unset environment variable fails before anything is written', async () => {
    const unset = await runCli(['sites', '-s', 'sites.csv', '-t', 'template.yaml', '-o', 'env-out2'], { cwd: work });
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('environment variable EDGE_TOKEN is not set');
    expect(existsSync(join(work, 'env-out2'))).toBe(false);
  });

  test('a previous run in --out is replaced whole: sites that are gone lose their ISO', async () => {
    writeFileSync(join(work, 'one.csv'), 'name,city,zip,ip\nsolo,x,1,ip\n');
    expect((await cli(['sites', '-s', 'sites.csv', '-t', 'template.yaml', '-o', 'replace'])).code).toBe(0);
    expect((await cli(['sites', '-s', 'one.csv', '-t', 'template.yaml', '-o', 'replace'])).code).toBe(0);
    expect(readdirSync(join(work, 'replace')).sort()).toEqual(['sites.json', 'solo.iso']);
    expect(leftovers()).toEqual([]);
  });

  test('an --out holding files edgebuild did not write is refused and left alone', async () => {
    mkdirSync(join(work, 'mine'));
    writeFileSync(join(work, 'mine', 'notes.txt'), 'keep me');
    const r = await cli(['sites', '-s', 'sites.csv', '-t', 'template.yaml', '-o', 'mine']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('holds files edgebuild sites did not write');
    expect(readdirSync(join(work, 'mine'))).toEqual(['notes.txt']);
  });

  test('600 sites (several CSV batches, more than the ISOs in flight): sites.json and --json list them in row order with their real sha256, as JSON.stringify writes them', () => {
    const names = Array.from({ length: 600 }, (_, i) => `s${String(i).padStart(3, '0')}`);
    writeFileSync(join(work, 'six.csv'), `name,city,zip,ip\n${names.map((n, i) => `${n},"c${i}, ""x""",${i},10.0.${i >> 8}.${i & 255}/24\n${i % 100 === 0 ? '\n' : ''}`).join('')}`);
    const r = builtCli(['sites', '-s', 'six.csv', '-t', 'template.yaml', '-o', 'six-out', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(join(work, 'six-out', 'sites.json'), 'utf8');
    const manifest = JSON.parse(text) as { sites: { name: string; file: string; size: number; sha256: string }[] };
    expect(text).toBe(`${JSON.stringify(manifest, null, 2)}\n`);
    const doc = JSON.parse(r.stdout) as { count: number; sites: { name: string; row: number; line: number; file: string; size: number; sha256: string }[] };
    expect(r.stdout).toBe(`${JSON.stringify(doc, null, 2)}\n`);
    expect(doc.count).toBe(600);
    expect(manifest.sites.map((s) => s.name)).toEqual(names);
    expect(doc.sites.map(({ name, file, size, sha256 }) => ({ name, file, size, sha256 }))).toEqual(manifest.sites);
    expect(doc.sites.map((s) => s.row)).toEqual(names.map((_, i) => i + 1));
    expect(doc.sites[599]!.line).toBe(2 + 599 + 6); // a blank line after rows 1, 101, ..., 501
    for (const s of manifest.sites.filter((_, i) => i % 37 === 0 || i === 599)) {
      const bytes = readFileSync(join(work, 'six-out', s.file));
      expect([bytes.length, createHash('sha256').update(bytes).digest('hex')]).toEqual([s.size, s.sha256]);
    }
  });

  test('Ctrl-C part way: exit 130, no --out, no staging left', async () => {
    const rows = ['name,city,zip,ip', ...Array.from({ length: 5000 }, (_, i) => `s${i},c,${i},ip`)];
    writeFileSync(join(work, 'many.csv'), `${rows.join('\n')}\n`);
    const child = spawn(process.execPath, [CLI, 'sites', '-s', 'many.csv', '-t', 'template.yaml', '-o', 'many-out'], { cwd: work, env: { PATH: process.env.PATH ?? '', EDGE_TOKEN: TOKEN } });
    let stderr = '';
    const code = await new Promise<number | null>((done) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        // Interrupt once some ISOs are already in the staging directory.
        if (stderr.includes('rendered 100/') && !child.killed) child.kill('SIGINT');
      });
      child.on('close', done);
    });
    expect(stderr).toContain('rendered 100/');
    expect(code).toBe(130);
    expect(existsSync(join(work, 'many-out'))).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  test('missing flags are a usage error', async () => {
    const r = await cli(['sites', '--sites', 'sites.csv']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--template/);
  });
});
