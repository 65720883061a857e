#!/usr/bin/env node
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CachedScript } from '../adapters/compileCache.js';
import type * as CliModule from './bundle.js';
import { descendants, terminate } from '../adapters/descendants.js';
import { ExitCode } from '../errors.js';
import { COMMAND_NAMES } from './commandNames.js';

const argv = process.argv.slice(2);
const controller = new AbortController();
let signals = 0;
const onSignal = (signal: NodeJS.Signals): void => {
  signals += 1;
  if (signals > 1) {
    // A second Ctrl-C while cleaning up leaves at once; --json still gets its one document.
    if (argv.includes('--json')) {
      const body = { status: 'error', error: { code: 'interrupted', exitCode: ExitCode.interrupted, message: `${signal} again: stopped without cleaning up` } };
      process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    }
    process.exit(ExitCode.interrupted);
  }
  process.stderr.write(`\nreceived ${signal}: stopping...\n`);
  // Take the process tree before anything reacts: once a child dies, its own
  // children (git's transports) are re-parented out of our reach.
  const tree = descendants();
  controller.abort(new Error(signal));
  terminate(tree);
};
// Handlers first, then the rest of the CLI: a signal during start-up is handled too.
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

// A command runs the CLI's one-file bundle through the code cache (adapters/compileCache.ts); --version,
// --help and a mistyped command run the modules, which load less; so does a build without the bundle (tsc alone).
type Cli = typeof CliModule;
const bundleFile = fileURLToPath(new URL('./edgebuild.cjs', import.meta.url));
let bundled: CachedScript<Cli> | undefined;
/**
 * The bundle exists and no dist/ file it was made from (edgebuild.inputs, written by
 * scripts/cli-bundle.mjs) is newer: a `tsc` or `tsc --watch` run since the last full build
 * leaves a stale bundle, which must not run.
 */
function bundleIsCurrent(): boolean {
  try {
    const built = statSync(bundleFile).mtimeMs;
    // An installed package is never partly rebuilt: no need to look at its 140 files.
    if (fileURLToPath(import.meta.url).includes(`${sep}node_modules${sep}`)) return true;
    const inputs = readFileSync(fileURLToPath(new URL('./edgebuild.inputs', import.meta.url)), 'utf8').split('\n').filter(Boolean);
    return inputs.length > 0 && inputs.every((input) => statSync(join(dirname(bundleFile), input)).mtimeMs <= built);
  } catch {
    return false;
  }
}

const help = argv.includes('--help') || argv.includes('-h');
if (COMMAND_NAMES.includes(argv[0] ?? '') && !help && bundleIsCurrent()) {
  const [{ compileCacheDir, runCachedScript }, { defaultCacheDir }] = await Promise.all([import('../adapters/compileCache.js'), import('../adapters/cacheDir.js')]);
  const dir = compileCacheDir(process.env, defaultCacheDir(process.env));
  bundled = runCachedScript<Cli>(bundleFile, { dir, variant: argv[0]!, importModule: (specifier) => import(specifier) });
}
const { processIo, run }: Cli = bundled?.exports ?? (await import('./bundle.js'));
const code = await run(argv, processIo(controller.signal));
// After a run that went well (a failed first run would keep a cache of its few functions), while Ctrl-C is still handled.
if (code === ExitCode.ok && !controller.signal.aborted) bundled?.save();
process.off('SIGINT', onSignal);
process.off('SIGTERM', onSignal);
if (controller.signal.aborted) {
  // Interrupted: stop what is left of our process tree (git's transports outlive
  // a killed `git fetch`) and leave rather than wait for their pipes to close.
  terminate(descendants());
  process.exit(code);
}
process.exitCode = code;
