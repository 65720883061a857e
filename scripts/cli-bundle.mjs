#!/usr/bin/env node
/**
 * Bundles the CLI's compiled modules (dist/cli/bundle.js and everything it
 * imports from dist/, the vendored yaml and commander included) into one
 * CommonJS file, dist/cli/edgebuild.cjs, that dist/cli/main.js runs through a
 * V8 code cache (src/adapters/compileCache.ts): on Node.js 20 only a classic
 * script can take one, and a rerun spent a tenth of its time compiling
 * (BENCHMARKS.md, issue 17). npm packages stay outside (required or imported
 * when used, as from dist/), so do the worker threads' entries.
 *
 * Each module keeps what it would see as an ES module: `import.meta.url` is
 * its own file's URL in dist/ (assets, worker entries and package.json are
 * found relative to it), and its evaluation is reported to
 * `globalThis[Symbol.for('edgebuild.moduleEvaluated')]` when a test's load
 * probe set one (test/fixtures/loadProbe). `npm run build` runs this after
 * tsc and scripts/vendor-bundle.mjs.
 *
 *   node scripts/cli-bundle.mjs
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const outfile = join(dist, 'cli', 'edgebuild.cjs');

/** Per-module code: the module's path from the bundle's folder, as a string literal. */
const fromBundle = (path) => JSON.stringify(relative(dirname(outfile), path).split(sep).join('/'));

const ownModules = {
  name: 'edgebuild-modules',
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, (args) => {
      if (!args.path.startsWith(dist + sep)) return undefined;
      const rel = fromBundle(args.path);
      const text = readFileSync(args.path, 'utf8').replace(/\bimport\.meta\.url\b/g, `__edgebuildUrl(${rel})`);
      // First statement of the module's body: runs when (and only when) the module is evaluated.
      return { contents: `__edgebuildEvaluated(${rel});\n${text}`, loader: 'js' };
    });
  },
};

const result = await build({
  entryPoints: [join(dist, 'cli', 'bundle.js')],
  outfile,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  minify: true,
  // Names as the modules have them where esbuild renames a clash (errors name themselves after their class).
  keepNames: true,
  legalComments: 'inline',
  metafile: true,
  plugins: [ownModules],
  banner: {
    js: [
      // The modules were ES modules: strict mode, before anything else.
      '"use strict";',
      '/* edgebuild CLI: dist/ in one file (scripts/cli-bundle.mjs); npm packages stay in node_modules. */',
      'const __edgebuildUrl = (path) => require("node:url").pathToFileURL(require("node:path").join(__dirname, path)).href;',
      'const __edgebuildEvaluated = ((hook) => hook ? (path) => hook(__edgebuildUrl(path)) : () => {})(globalThis[Symbol.for("edgebuild.moduleEvaluated")]);',
    ].join('\n'),
  },
  logLevel: 'warning',
});

// import() in a script compiled by vm needs an experimental flag on Node.js 20: the bundle's dynamic
// imports (execa, simple-git, worker_threads, all with literal names) call main.js's import() instead,
// which compileCache.ts passes in as __edgebuildImport.
let text = readFileSync(outfile, 'utf8');
const dynamic = Object.values(result.metafile.outputs)[0].imports.filter((i) => i.kind === 'dynamic-import').length;
let rewritten = 0;
text = text.replace(/\bimport\("([^"\\]+)"\)/g, (_, name) => {
  rewritten += 1;
  return `__edgebuildImport(${JSON.stringify(name)})`;
});
const left = /\bimport\s*\(/.exec(text);
if (left || rewritten !== dynamic) {
  console.error(`scripts/cli-bundle.mjs: ${rewritten} of ${dynamic} dynamic imports rewritten${left ? `; one left at: ${text.slice(left.index - 60, left.index + 40)}` : ''}: give import() a literal package name`);
  process.exit(1);
}
writeFileSync(outfile, text);

// A package the bundle require()s must be loadable by require() on Node.js 20.5: an ESM-only package
// (execa) has to be imported with `await import()` where it is used, which stays an import.
const requireFrom = createRequire(outfile);
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const problems = [];
for (const { path, kind } of Object.values(result.metafile.outputs)[0].imports) {
  if (kind !== 'require-call' || builtins.has(path)) continue;
  const file = requireFrom.resolve(path);
  let dir = dirname(file);
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  const esm = file.endsWith('.mjs') || (file.endsWith('.js') && JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).type === 'module');
  if (esm) problems.push(`${path} is an ES module: import it with \`await import('${path}')\` where it is used`);
}
if (problems.length) {
  console.error(`scripts/cli-bundle.mjs: the bundle would require() ES modules:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
