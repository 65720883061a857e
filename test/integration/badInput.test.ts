/**
 * A corpus of malformed and hostile inputs. Each one must end with its
 * documented exit code and a one-line message naming the file, the place and
 * the fix — and leave the user's files byte for byte as they were, with no
 * checkout, cache or output created.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createCanvosRepo, type FixtureRepo } from '../fixtures/canvosRepo.js';
import { runCli } from './cli.js';

const GOOD_UD = '#cloud-config\nstylus:\n  site:\n    edgeHostToken: ${env:EDGE_HOST_TOKEN}\n    paletteEndpoint: api.example.com\n';
const bomb = `#cloud-config\na: &a ["x","x","x","x","x","x","x","x","x"]\n${Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`).join('\n')}\n`;

interface Case {
  name: string;
  files: Record<string, string | Buffer>;
  args: string[];
  code: number;
  message: RegExp;
  env?: Record<string, string>;
}

const ud = (text: string): Case['files'] => ({ 'ud.yaml': text });
const cfg = (text: string): Case['files'] => ({ 'ud.yaml': GOOD_UD, 'c.yaml': text });
const U = ['--user-data', 'ud.yaml'];
const C = ['--config', 'c.yaml'];

const cases: Case[] = [
  { name: 'no #cloud-config header', files: ud('stylus:\n  site: {}\n'), args: U, code: 2, message: /^ud\.yaml:1:1: first line is "stylus:", not "#cloud-config"\. Fix: make "#cloud-config" the first line/ },
  { name: 'header not on the first line', files: ud('\n#cloud-config\nstylus: {}\n'), args: U, code: 2, message: /^ud\.yaml:1:1: first line is "", not "#cloud-config"/ },
  { name: 'byte order mark', files: ud(`\uFEFF${GOOD_UD}`), args: U, code: 2, message: /^ud\.yaml:1:1: the file starts with a byte order mark\. Fix: save the file as UTF-8 without BOM/ },
  { name: 'a shebang instead', files: ud('#!/bin/bash\nrm -rf /\n'), args: U, code: 2, message: /^ud\.yaml:1:1: first line is "#!\/bin\/bash"/ },
  { name: 'two documents', files: ud(`${GOOD_UD}---\nfoo: 1\n`), args: U, code: 2, message: /^ud\.yaml:6:1: the file holds 2 YAML documents, not one\. Fix: remove the "---" separator/ },
  { name: 'duplicate key', files: ud('#cloud-config\nstylus:\n  site: {}\nstylus:\n  site: {}\n'), args: U, code: 2, message: /^ud\.yaml:4:1: duplicate key: .*\. Fix: keep one of the two keys/ },
  { name: 'nested duplicate key', files: ud('#cloud-config\nstylus:\n  site:\n    edgeHostToken: a\n    edgeHostToken: b\n'), args: U, code: 2, message: /^ud\.yaml:5:5: duplicate key/ },
  { name: 'a list at the root', files: ud('#cloud-config\n- a\n- b\n'), args: U, code: 2, message: /^ud\.yaml:2:1: the document root is not a mapping/ },
  { name: 'a scalar at the root', files: ud('#cloud-config\njust text\n'), args: U, code: 2, message: /^ud\.yaml:2:1: the document root is not a mapping/ },
  { name: 'only the header', files: ud('#cloud-config\n'), args: U, code: 2, message: /^ud\.yaml:1: the file holds no YAML document\. Fix: add the stylus: settings/ },
  { name: 'stylus is a list', files: ud('#cloud-config\nstylus:\n  - site\n'), args: U, code: 2, message: /^ud\.yaml:3:3: stylus is a list, not a mapping/ },
  { name: 'stylus is a string', files: ud('#cloud-config\nstylus: on\n'), args: U, code: 2, message: /^ud\.yaml:2:9: stylus is a scalar, not a mapping/ },
  { name: 'webhook is a string', files: ud('#cloud-config\nstylus:\n  imageRedirectWebhook: false\n'), args: U, code: 2, message: /^ud\.yaml:3:25: stylus\.imageRedirectWebhook is a scalar, not a mapping\. Fix: write stylus\.imageRedirectWebhook as a mapping/ },
  { name: 'enable is a map', files: ud('#cloud-config\nstylus:\n  imageRedirectWebhook:\n    enable: {a: 1}\n'), args: U, code: 2, message: /^ud\.yaml:4:13: stylus\.imageRedirectWebhook\.enable is not a scalar/ },
  { name: 'tab indentation', files: ud('#cloud-config\nstylus:\n\tsite: {}\n'), args: U, code: 2, message: /^ud\.yaml:3:1: invalid YAML/ },
  { name: 'unclosed flow map', files: ud('#cloud-config\nstylus: {site: {\n'), args: U, code: 2, message: /^ud\.yaml:\d+:\d+: invalid YAML/ },
  { name: 'alias bomb', files: ud(bomb), args: U, code: 2, message: /^ud\.yaml:1: invalid YAML: Excessive alias count.*\. Fix: write the values out instead of nesting aliases/ },
  { name: 'unset secret', files: ud('#cloud-config\nstylus:\n  site:\n    edgeHostToken: ${env:NOT_SET_ANYWHERE}\n'), args: U, code: 2, message: /^ud\.yaml:4:20: environment variable NOT_SET_ANYWHERE is not set\. Fix: export NOT_SET_ANYWHERE=/ },
  { name: 'unknown placeholder namespace', files: ud('#cloud-config\nstylus:\n  site:\n    name: ${site:name}\n'), args: U, code: 2, message: /^ud\.yaml:4:11: unknown placeholder \$\{site:name\}/ },
  { name: 'binary garbage', files: { 'ud.yaml': Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 0xff]) }, args: U, code: 2, message: /^ud\.yaml:1:1: control character U\+007F \(DEL\)\. Fix: remove it/ },
  { name: 'Latin-1 byte 0xE9', files: { 'ud.yaml': Buffer.concat([Buffer.from(`${GOOD_UD}    name: caf`), Buffer.from([0xe9]), Buffer.from('\n')]) }, args: U, code: 2, message: /^ud\.yaml:6:14: not valid UTF-8 \(byte 0xE9\)\. Fix: save the file as UTF-8/ },
  { name: 'a NUL byte', files: { 'ud.yaml': Buffer.concat([Buffer.from('#cloud-config\nstylus:\n  site:\n    name: a'), Buffer.from([0]), Buffer.from('b\n')]) }, args: U, code: 2, message: /^ud\.yaml:4:12: control character U\+0000 \(NUL\)\. Fix: remove it/ },
  { name: 'a C1 control character', files: ud('#cloud-config\nstylus:\n  site:\n    name: a\u0085b\n'), args: U, code: 2, message: /^ud\.yaml:4:12: control character U\+0085 \(NEL\)/ },
  { name: 'config: Latin-1 byte 0xE9', files: { 'ud.yaml': GOOD_UD, 'c.yaml': Buffer.concat([Buffer.from('userData: ud.yaml\nname: caf'), Buffer.from([0xe9]), Buffer.from('\n')]) }, args: C, code: 2, message: /^c\.yaml:2:10: not valid UTF-8 \(byte 0xE9\)/ },
  { name: 'config: a NUL byte', files: cfg('userData: ud.yaml\nname: a\u0000\n'), args: C, code: 2, message: /^c\.yaml:2:8: control character U\+0000 \(NUL\)/ },
  { name: 'user-data missing', files: {}, args: U, code: 2, message: /ud\.yaml: user-data does not exist\. Fix: check the path given for the user-data/ },
  { name: 'user-data is a directory', files: { 'ud.yaml/x': 'y' }, args: U, code: 2, message: /ud\.yaml: user-data is a directory/ },
  { name: 'config: unknown key', files: cfg('userData: ud.yaml\ncanvos:\n  tagg: v4.5.15\n'), args: C, code: 2, message: /^c\.yaml:3:3: unknown key "tagg" in canvos\. Fix: remove it or correct its spelling/ },
  { name: 'config: bad ARCH', files: cfg('userData: ud.yaml\narg:\n  ARCH: x86_64\n'), args: C, code: 2, message: /^c\.yaml:3:9: arg\.ARCH must be one of amd64, arm64/ },
  { name: 'config: bad K8S_DISTRIBUTION', files: cfg('userData: ud.yaml\narg:\n  K8S_DISTRIBUTION: k8s\n'), args: C, code: 2, message: /^c\.yaml:3:21: arg\.K8S_DISTRIBUTION must be one of k3s, rke2, kubeadm, kubeadm-fips, nodeadm/ },
  { name: 'config: command substitution in .arg', files: cfg('userData: ud.yaml\narg:\n  CUSTOM_TAG: $(reboot)\n'), args: C, code: 2, message: /^c\.yaml: CUSTOM_TAG contains "\$", which bash and Earthly cannot both read from \.arg/ },
  { name: 'config: newline in .arg', files: cfg('userData: ud.yaml\narg:\n  CUSTOM_TAG: "a\\nb"\n'), args: C, code: 2, message: /CUSTOM_TAG contains a newline/ },
  { name: 'config: not YAML', files: cfg('userData: [\n'), args: C, code: 2, message: /^c\.yaml:\d+:\d+: invalid YAML/ },
  { name: 'config: files escape the checkout', files: { ...cfg('userData: ud.yaml\nfiles:\n  - from: ud.yaml\n    to: ../../etc/passwd\n') }, args: C, code: 2, message: /^c\.yaml:4:9: files\[0\]\.to "\.\.\/\.\.\/etc\/passwd" is outside the CanvOS checkout/ },
  { name: 'config: files overwrite user-data', files: cfg('userData: ud.yaml\nfiles:\n  - from: ud.yaml\n    to: user-data\n'), args: C, code: 2, message: /^c\.yaml:4:9: files\[0\]\.to "user-data" is written by edgebuild itself\. Fix: set the user-data with userData: or --user-data/ },
  // Normalised spellings of the paths edgebuild writes, and the build's own output folder.
  ...[
    ['user-data/', 'user-data'],
    ['./user-data', 'user-data'],
    ['user-data/extra.yaml', 'user-data'],
    ['build/../.arg', '.arg'],
    ['.arg/', '.arg'],
    ['build', 'build'],
    ['build/', 'build'],
    ['build/palette-edge-installer.iso', 'build'],
    ['./.git/hooks/post-checkout', '.git'],
  ].map(([to, what]): Case => ({
    name: `config: files[].to ${to} (reserved: ${what})`,
    files: cfg(`userData: ud.yaml\nfiles:\n  - from: ud.yaml\n    to: x\n  - from: ud.yaml\n    to: ${to}\n`),
    args: C,
    code: 2,
    message: new RegExp(`^c\\.yaml:6:9: files\\[1\\]\\.to "${to!.replaceAll('.', '\\.')}" (is written by edgebuild itself|is where the build writes the ISO)\\. Fix: `),
  })),
  // ISO_NAME names the published files: a path in it would publish outside --out.
  { name: '--arg ISO_NAME with ..', files: ud(GOOD_UD), args: [...U, '--arg', 'ISO_NAME=../../escaped'], code: 2, message: /^--arg ISO_NAME: ISO_NAME=\.\.\/\.\.\/escaped is not a plain file name\. Fix: set ISO_NAME to letters, digits, "\.", "_" and "-" only/ },
  { name: '--arg ISO_NAME=..', files: ud(GOOD_UD), args: [...U, '--arg', 'ISO_NAME=..'], code: 2, message: /^--arg ISO_NAME: ISO_NAME=\.\. is not a plain file name/ },
  { name: '--arg ISO_NAME empty', files: ud(GOOD_UD), args: [...U, '--arg', 'ISO_NAME='], code: 2, message: /^--arg ISO_NAME: ISO_NAME= is not a plain file name/ },
  { name: 'config: ISO_NAME with a slash', files: cfg('userData: ud.yaml\narg:\n  ISO_NAME: out/installer\n'), args: C, code: 2, message: /^c\.yaml: ISO_NAME=out\/installer is not a plain file name\. Fix: / },
  // ${env:...} values are secrets: checked after substitution, never shown.
  { name: 'ISO_NAME from the environment', files: ud(GOOD_UD), args: [...U, '--arg', 'ISO_NAME=${env:ISO}'], env: { ISO: '/tmp/x' }, code: 2, message: /^--arg ISO_NAME: ISO_NAME=\*\*\* is not a plain file name/ },
  // --out, --work-dir and the cache dir: no one inside another, no regular file (real paths compared).
  { name: '--out inside --work-dir', files: ud(GOOD_UD), args: [...U, '--work-dir', 'w', '--out', 'w/dist'], code: 2, message: /^--out \/.*\/w\/dist is inside --work-dir \/.*\/w\b.*\. Fix: choose an --out outside --work-dir/ },
  { name: '--out inside the checkout', files: ud(GOOD_UD), args: [...U, '--out', '.edgebuild/canvos/build'], code: 2, message: /^--out \/.*\/\.edgebuild\/canvos\/build is inside --work-dir \/.*\/\.edgebuild\b/ },
  { name: '--work-dir inside --out', files: ud(GOOD_UD), args: [...U, '--out', 'o', '--work-dir', 'o/work'], code: 2, message: /^--work-dir \/.*\/o\/work is inside --out \/.*\/o\b.*\. Fix: / },
  { name: '--out is --work-dir', files: ud(GOOD_UD), args: [...U, '--out', 'same', '--work-dir', './same/'], code: 2, message: /^--out and --work-dir are the same directory \(\/.*\/same\)\. Fix: / },
  { name: '--out inside --cache-dir', files: ud(GOOD_UD), args: [...U, '--cache-dir', 'c', '--out', 'c/dist'], code: 2, message: /^--out \/.*\/c\/dist is inside --cache-dir \/.*\/c\b/ },
  { name: '--out is a regular file', files: { 'ud.yaml': GOOD_UD, 'out.iso': 'mine' }, args: [...U, '--out', 'out.iso'], code: 2, message: /^--out \/.*\/out\.iso is a file, not a directory\. Fix: / },
  { name: '--out under a regular file', files: { 'ud.yaml': GOOD_UD, notes: 'mine' }, args: [...U, '--out', 'notes/dist'], code: 2, message: /^--out \/.*\/notes\/dist: \/.*\/notes is a file, not a directory\. Fix: / },
  { name: '--work-dir is a regular file', files: { 'ud.yaml': GOOD_UD, work: 'mine' }, args: [...U, '--work-dir', 'work'], code: 2, message: /^--work-dir \/.*\/work is a file, not a directory/ },
  // manifest.json in --out that is not edgebuild's (a web app's): publishing would replace it.
  { name: 'a web app manifest.json in --out', files: { 'ud.yaml': GOOD_UD, 'out/edgebuild/manifest.json': '{"name":"My PWA","icons":[]}\n', 'out/edgebuild/index.html': '<html></html>\n' }, args: U, code: 2, message: /^\/.*\/out\/edgebuild: --out holds a manifest\.json edgebuild did not write \(schemaVersion undefined, expected 1\)\. Fix: choose another --out/ },
  { name: 'a manifest.json folder in --out', files: { 'ud.yaml': GOOD_UD, 'out/manifest.json/x': 'mine' }, args: [...U, '--out', 'out'], code: 2, message: /^\/.*\/out: --out holds a manifest\.json edgebuild did not write/ },
  { name: 'config: files source missing', files: cfg('userData: ud.yaml\nfiles:\n  - from: nope.txt\n    to: x\n'), args: C, code: 2, message: /^c\.yaml: files: "nope\.txt" does not exist/ },
  { name: 'config in a folder: bad user-data it names', files: { 'ud/site.yaml': 'stylus: {}\n', 'configs/c.yaml': 'userData: ../ud/site.yaml\n' }, args: ['--config', 'configs/c.yaml'], code: 2, message: /^ud\/site\.yaml:1:1: first line is "stylus: \{\}", not "#cloud-config"/ },
  { name: 'config: bad target', files: cfg('userData: ud.yaml\ntarget: "iso; rm -rf /"\n'), args: C, code: 2, message: /^c\.yaml:2:9: target has an invalid format\. Fix: see the description of target/ },
  { name: 'config file missing', files: { 'ud.yaml': GOOD_UD }, args: C, code: 2, message: /c\.yaml: build config does not exist/ },
  { name: '--arg without =', files: ud(GOOD_UD), args: [...U, '--arg', 'ARCH'], code: 2, message: /^--arg "ARCH" is not KEY=VALUE\. Fix: write it as --arg KEY=VALUE/ },
  { name: '--arg bad boolean', files: ud(GOOD_UD), args: [...U, '--arg', 'UPDATE_KERNEL=yes'], code: 2, message: /^--arg UPDATE_KERNEL: UPDATE_KERNEL=yes is not a boolean\. Fix: set UPDATE_KERNEL to true or false/ },
  { name: '--target with a shell command', files: ud(GOOD_UD), args: [...U, '--target', '+iso; rm -rf /'], code: 2, message: /^--target "\+iso; rm -rf \/" is not an Earthly target\. Fix: write it as \+ and a name, e\.g\. --target \+iso$/ },
  { name: '--target without +', files: ud(GOOD_UD), args: [...U, '--target', 'iso'], code: 2, message: /^--target "iso" is not an Earthly target/ },
  { name: '--arg from an unset variable', files: ud(GOOD_UD), args: [...U, '--arg', 'HTTPS_PROXY=http://u:${env:NO_SUCH_PROXY_PW}@p:3128'], code: 2, message: /^--arg HTTPS_PROXY: environment variable NO_SUCH_PROXY_PW is not set\. Fix: export NO_SUCH_PROXY_PW=/ },
  { name: 'unknown flag', files: ud(GOOD_UD), args: [...U, '--tga', 'v1'], code: 2, message: /^unknown option '--tga' \(Did you mean --tag\?\)\. Fix: see edgebuild iso --help$/ },
  { name: 'no tag at all', files: ud(GOOD_UD), args: ['--user-data', 'ud.yaml', '--no-tag-here'], code: 2, message: /unknown option/ },
];

let repo: FixtureRepo;
let root: string;
beforeAll(() => {
  repo = createCanvosRepo([{ name: 'v4.5.15' }]);
  root = mkdtempSync(join(tmpdir(), 'edgebuild-bad-'));
});
afterAll(() => {
  repo.cleanup();
  rmSync(root, { recursive: true, force: true });
});

test('the corpus is large enough to mean something', () => {
  expect(cases.length).toBeGreaterThanOrEqual(25);
});

test.each(cases)('$name', async ({ files, args, code, message, env }) => {
  const dir = mkdtempSync(join(root, 'case-'));
  for (const [path, content] of Object.entries(files)) {
    const file = join(dir, path);
    (await import('node:fs')).mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, content);
  }
  const before = Object.fromEntries(Object.keys(files).map((p) => [p, readFileSync(join(dir, p))]));
  const tagArgs = ['--tag', 'v4.5.15'];
  const result = await runCli(['iso', '--dry-run', '--json', '--repo', repo.path, ...tagArgs, ...args], {
    cwd: dir,
    env: { EDGE_HOST_TOKEN: 'tok', XDG_CACHE_HOME: join(dir, 'cache'), ...env },
  });
  expect(result.code).toBe(code);
  const body = JSON.parse(result.stdout) as { status: string; error: { message: string; exitCode: number } };
  expect(body.status).toBe('error');
  expect(body.error.exitCode).toBe(code);
  expect(body.error.message).toMatch(message);
  expect(body.error.message).not.toContain('\n');
  // The human line on stderr is the same single line.
  expect(result.stderr.trimEnd().split('\n').at(-1)).toBe(`error: ${body.error.message}`);
  for (const [path, content] of Object.entries(before)) expect(readFileSync(join(dir, path)).equals(content)).toBe(true);
  expect(readdirSync(dir).sort()).toEqual(Object.keys(files).map((p) => p.split('/')[0]!).filter((v, i, a) => a.indexOf(v) === i).sort());
  expect(existsSync(join(dir, '.edgebuild'))).toBe(false);
});
