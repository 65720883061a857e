/**
 * The entry of the CLI's one-file bundle, dist/cli/edgebuild.cjs
 * (scripts/cli-bundle.mjs): what main.ts runs through the code cache
 * (adapters/compileCache.ts). Only the built CLI uses it; the library
 * (dist/index.js), the worker threads and the tests use the modules.
 */
export { processIo } from './io.js';
export { run } from './run.js';
