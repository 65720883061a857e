#!/usr/bin/env node
import { descendants, terminate } from '../adapters/descendants.js';
import { ExitCode } from '../errors.js';

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

const [{ processIo }, { run }] = await Promise.all([import('./io.js'), import('./run.js')]);
const code = await run(argv, processIo(controller.signal));
process.off('SIGINT', onSignal);
process.off('SIGTERM', onSignal);
if (controller.signal.aborted) {
  // Interrupted: stop what is left of our process tree (git's transports outlive
  // a killed `git fetch`) and leave rather than wait for their pipes to close.
  terminate(descendants());
  process.exit(code);
}
process.exitCode = code;
