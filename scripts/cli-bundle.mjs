#!/usr/bin/env node
/**
 * Bundles the CLI's compiled modules (dist/cli/bundle.js and everything it
 * imports from dist/, the vendored yaml and commander included) into one
 * CommonJS file, dist/cli/edgebuild.cjs, that dist/cli/main.js runs through a
 * V8 code cache (src/adapters/compileCache.ts): on Node.js 20 only a classic
 * script can take one, and a rerun spent a tenth of its time compiling
 * (BENCHMARKS.md, issue 17).
 *
 * The bundle runs the same code the modules run:
 * - each module keeps its own `import.meta.url` (its file in dist/), so
 *   assets, worker entries and package.json are found as from dist/; any
 *   other use of `import.meta` fails the build;
 * - a package imported statically (csv-parse) is bundled from the build the
 *   modules load (its ES module build: the CommonJS build of csv-parse has
 *   two CsvError classes); the bundle require()s no package;
 * - a package imported on use (execa, simple-git, dockerode through
 *   createRequire) and listr2's renderer module (pipeline/listrProgress.js)
 *   stay outside: each `import()` is rewritten to main.js's own (a script
 *   compiled by vm has none on Node.js 20 without a flag), so they load as
 *   ES modules, as from dist/;
 * - its modules report their evaluation to
 *   `globalThis[Symbol.for('edgebuild.moduleEvaluated')]` when a test's load
 *   probe set one (test/fixtures/loadProbe).
 *
 * The bundle is written only when every check passed, atomically; a failed
 * build removes the old one. Beside it, edgebuild.inputs lists the dist/
 * files it was made from: main.js runs the bundle only when none is newer
 * (a `tsc` or `tsc --watch` run since the last full build). `npm run build`
 * runs this after tsc and scripts/vendor-bundle.mjs.
 *
 *   node scripts/cli-bundle.mjs
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const outfile = join(dist, 'cli', 'edgebuild.cjs');
const inputsFile = join(dist, 'cli', 'edgebuild.inputs');
/** Loaded on use, as ES modules, through main.js's import(). */
const OUTSIDE_PACKAGES = ['execa', 'simple-git', 'dockerode', 'listr2'];
/** Modules of dist/ that stay modules: listr2's renderer (a class extends one of listr2's at load). */
const OUTSIDE_MODULES = [join(dist, 'pipeline', 'listrProgress.js')];

/** A path from the bundle's folder, with forward slashes. */
const fromBundle = (path) => relative(dirname(outfile), path).split(sep).join('/');

const ownModules = {
  name: 'edgebuild-modules',
  setup(b) {
    b.onResolve({ filter: /^\./ }, (args) => {
      const path = join(args.resolveDir, args.path);
      if (!OUTSIDE_MODULES.includes(path)) return undefined;
      if (args.kind !== 'dynamic-import') return { errors: [{ text: `${fromBundle(path)} stays a module: import it with await import()` }] };
      return { path: fromBundle(path), external: true };
    });
    b.onLoad({ filter: /\.js$/ }, (args) => {
      if (!args.path.startsWith(dist + sep)) return undefined;
      const rel = JSON.stringify(fromBundle(args.path));
      const text = readFileSync(args.path, 'utf8').replace(/\bimport\.meta\.url\b/g, `__edgebuildUrl(${rel})`);
      // First statement of the module's body: runs when (and only when) the module is evaluated.
      return { contents: `__edgebuildEvaluated(${rel});\n${text}`, loader: 'js' };
    });
  },
};

function fail(message) {
  rmSync(outfile, { force: true });
  rmSync(inputsFile, { force: true });
  console.error(`scripts/cli-bundle.mjs: ${message}`);
  process.exit(1);
}

// The bundle's time is when the build began: a module tsc (--watch) writes after esbuild read it is newer.
const began = new Date();
let result;
try {
  result = await build({
    entryPoints: [join(dist, 'cli', 'bundle.js')],
    outfile,
    absWorkingDir: root,
    write: false,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // A statically imported package is bundled from the build an import statement resolves to (esbuild's
    // `import` condition), the one the modules load.
    external: OUTSIDE_PACKAGES,
    minify: true,
    // Names as the modules have them where esbuild renames a clash (errors name themselves after their class).
    keepNames: true,
    legalComments: 'inline',
    metafile: true,
    plugins: [ownModules],
    // import.meta is an object only for import.meta.url (rewritten above); anything else would silently be {}.
    logOverride: { 'empty-import-meta': 'error' },
    banner: {
      js: [
        // The modules were ES modules: strict mode, before anything else.
        '"use strict";',
        '/* edgebuild CLI: dist/ in one file (scripts/cli-bundle.mjs); npm packages stay in node_modules. */',
        'const __edgebuildUrl = (path) => require("node:url").pathToFileURL(require("node:path").join(__dirname, path)).href;',
        'const __edgebuildEvaluated = ((hook) => hook ? (path) => hook(__edgebuildUrl(path)) : () => {})(globalThis[Symbol.for("edgebuild.moduleEvaluated")]);',
      ].join('\n'),
    },
    logLevel: 'silent',
  });
} catch (error) {
  fail(`esbuild failed:\n${(error.errors ?? [error]).map((e) => `  ${e.text ?? e.message}${e.location ? ` (${e.location.file}:${e.location.line})` : ''}`).join('\n')}`);
}

const [output] = result.outputFiles;
const meta = Object.values(result.metafile.outputs)[0];
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const required = meta.imports.filter((i) => i.kind === 'require-call' && !builtins.has(i.path)).map((i) => i.path);
if (required.length) fail(`the bundle would require() ${required.join(', ')}: bundle it, or import it with await import() where it is used`);

// Each import() (of a package or an outside module, by a literal name) calls main.js's import() instead.
const dynamic = meta.imports.filter((i) => i.kind === 'dynamic-import').length;
let rewritten = 0;
const text = output.text.replace(/\bimport\("([^"\\]+)"\)/g, (_, name) => {
  rewritten += 1;
  return `__edgebuildImport(${JSON.stringify(name)})`;
});
const left = /\bimport\s*\(/.exec(text);
if (left || rewritten !== dynamic) {
  fail(`${rewritten} of ${dynamic} dynamic imports rewritten${left ? `; one left at: ${text.slice(Math.max(0, left.index - 60), left.index + 40)}` : ''}: give import() a literal name`);
}

const inputs = Object.keys(result.metafile.inputs)
  .map((p) => join(root, p))
  .filter((p) => p.startsWith(dist + sep))
  .map(fromBundle);
/** Written whole under a temporary name, then renamed; nothing left behind if that fails. */
function writeAtomically(path, data, time) {
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    writeFileSync(temp, data);
    if (time) utimesSync(temp, time, time);
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    fail(`cannot write ${path}: ${error.message}`);
  }
}
// The inputs first: a new list beside an old bundle finds the bundle older than its new inputs.
writeAtomically(inputsFile, `${inputs.sort().join('\n')}\n`);
writeAtomically(outfile, text, began);
