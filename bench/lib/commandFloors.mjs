// Floors of `edgebuild tags` and `edgebuild registries`: the same outside work
// in a bare Node.js script, Node.js start included.
//
//   node bench/lib/commandFloors.mjs tags <mirror> <repo url>
//     the two git commands `tags` runs on a cached mirror: the remote's tags
//     (`git ls-remote`), then one `git grep` of PE_VERSION in every tag's Earthfile
//   node bench/lib/commandFloors.mjs registries <file>
//     reading the file, parsing it with the yaml package and writing it back as
//     YAML: the package `registries` cannot do without
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import process from 'node:process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const [what, ...args] = process.argv.slice(2);
if (what === 'tags') {
  const [mirror, url] = args;
  const env = { ...process.env, GIT_DIR: mirror };
  const refs = (await run('git', ['ls-remote', '--tags', url], { cwd: mirror, env })).stdout;
  const commits = new Set(refs.split('\n').filter(Boolean).map((l) => l.split('\t')[0]));
  await run('git', ['grep', '-E', '-e', '^[[:space:]]*ARG[[:space:]]+(--global[[:space:]]+)?PE_VERSION[[:space:]]*=', ...commits, '--', 'Earthfile'], { cwd: mirror, env });
} else if (what === 'registries') {
  const { parseDocument, stringify } = await import('yaml');
  process.stdout.write(stringify(parseDocument(await readFile(args[0], 'utf8')).toJS()));
} else {
  throw new Error(`unknown floor ${what}`);
}
