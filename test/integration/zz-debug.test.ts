import { test } from 'vitest';
import { BUILD_TAGS } from '../fixtures/earthlyScript.js';
import { cliEnv, isoArgs, makeWorkspace, runCli } from './isoHelpers.js';
test('debug', async () => {
  const ws = makeWorkspace();
  for (const [name, tag, extra, env] of [['a', BUILD_TAGS.success, [], {}], ['b', BUILD_TAGS['no-iso'], [], {}], ['c', BUILD_TAGS.success, ['--json'], {}], ['d', BUILD_TAGS['fail'], ['--json'], {}]] as const) {
    const r = await runCli(isoArgs(ws, name, tag, [...extra]), cliEnv(env), ws.root);
    console.log(`=== ${name} code ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  }
  console.log(ws.root);
}, 60000);
