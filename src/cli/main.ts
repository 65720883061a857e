#!/usr/bin/env node
import { processIo } from './io.js';
import { run } from './run.js';

const controller = new AbortController();
let signals = 0;
const onSignal = (signal: NodeJS.Signals): void => {
  signals += 1;
  // A second Ctrl-C while cleaning up leaves at once.
  if (signals > 1) process.exit(130);
  process.stderr.write(`\nreceived ${signal}: stopping...\n`);
  controller.abort(new Error(signal));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const code = await run(process.argv.slice(2), processIo(controller.signal));
process.off('SIGINT', onSignal);
process.off('SIGTERM', onSignal);
process.exitCode = code;
