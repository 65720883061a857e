// The floor of an up-to-date rerun: the same outside work with no edgebuild
// code: the five git commands a rerun runs on the cached mirror (check it,
// fetch, list tags, read the Earthfile), reading and hashing the user-data,
// reading manifest.json and the artifacts' sizes. Node.js start included.
//
//   node bench/lib/upToDateFloor.mjs <mirror> <user-data> <out>
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import process from 'node:process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const [mirror, userData, out] = process.argv.slice(2);
const git = (...args) => run('git', args, { cwd: mirror });
await git('rev-parse', '--is-bare-repository', '--absolute-git-dir');
await git('config', '--get', 'remote.origin.url');
await git('fetch', '--prune', '--prune-tags', '--force', 'origin');
const refs = (await git('for-each-ref', 'refs/tags', '--format=%(refname:strip=2) %(objectname) %(*objectname)')).stdout;
const commit = refs.split('\n')[0].split(' ').at(-1);
await git('show', `${commit}:Earthfile`);
createHash('sha256').update(await readFile(userData));
const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
for (const a of manifest.artifacts) await stat(join(out, a.name));
