#!/usr/bin/env node
/**
 * Bundles the two dependencies every command loads — yaml (73 module files)
 * and commander (9 CommonJS files) — into one file each under dist/vendor/,
 * and points the compiled code at them. Importing yaml from its package took
 * 20–24 ms here, the one-file bundle 9 ms: a large share of an up-to-date
 * rerun (BENCHMARKS.md, issue 17). Only dist/ changes: the sources and the
 * tests import the packages as usual, and the .d.ts files keep naming them
 * (both stay dependencies, for the types). `npm run build` runs this after tsc.
 *
 *   node scripts/vendor-bundle.mjs
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const require = createRequire(join(root, 'package.json'));
const VENDORED = ['yaml', 'commander'];

/** The package's license text, kept at the top of its bundle as the license asks. */
function licenseOf(name) {
  // The package's folder: its entry point's, walked up to the package.json (commander exports no ./package.json).
  let dir = dirname(require.resolve(name));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  const file = readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
  const { version, license } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const text = file ? readFileSync(join(dir, file), 'utf8').trim() : `${license}`;
  return `/*!\n * ${name} ${version} (${license}), bundled by scripts/vendor-bundle.mjs\n *\n${text.split('\n').map((l) => ` * ${l}`.trimEnd()).join('\n')}\n */`;
}

/** The exports Node.js finds in the package, as `import { … } from '<name>'` sees them. */
function namesOf(name) {
  return Object.keys(require(name)).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k) && k !== 'default');
}

for (const name of VENDORED) {
  await build({
    // The build Node.js itself loads (yaml's `node` condition is CommonJS), with the names Node would find in it
    // exported statically: `export *` from CommonJS would export nothing by name.
    stdin: { contents: `import * as m from '${name}';\nexport const { ${namesOf(name).join(', ')} } = m;`, resolveDir: root, loader: 'js' },
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outfile: join(dist, 'vendor', `${name}.js`),
    legalComments: 'inline',
    // CommonJS inside an ES module bundle still require()s Node's built-ins.
    banner: { js: `${licenseOf(name)}\nimport { createRequire as __vendorRequire } from 'node:module';\nconst require = __vendorRequire(import.meta.url);` },
    logLevel: 'warning',
  });
}

/** Every compiled module's `from 'yaml'` / `from 'commander'` → the bundle, by relative path. */
function rewrite(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'vendor') rewrite(path);
      continue;
    }
    if (!entry.name.endsWith('.js')) continue;
    const text = readFileSync(path, 'utf8');
    const next = text.replace(/(\bfrom\s*|\bimport\s*\(\s*)(['"])(yaml|commander)\2/g, (_, lead, quote, name) => {
      let target = relative(dirname(path), join(dist, 'vendor', `${name}.js`));
      if (!target.startsWith('.')) target = `./${target}`;
      return `${lead}${quote}${target}${quote}`;
    });
    if (next !== text) writeFileSync(path, next);
  }
}
rewrite(dist);
