// The floor of an up-to-date rerun: the same outside work with no edgebuild
// code: the two git commands a rerun runs, side by side (the remote's tags
// with `git ls-remote`; the tag's files at the tag as the mirror last fetched
// it with one `git cat-file --batch`), reading and hashing the user-data,
// reading manifest.json and the artifacts' sizes. Node.js start included.
// With --yaml it also parses the user-data with the yaml package, which a
// rerun cannot skip (the build key hashes the prepared user-data).
//
//   node bench/lib/upToDateFloor.mjs <mirror> <repo url> <tag> <user-data> <out> [--yaml]
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import process from 'node:process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const [mirror, url, tag, userData, out, yaml] = process.argv.slice(2);
const env = { ...process.env, GIT_DIR: mirror };
const batch = run('git', ['cat-file', '--batch'], { cwd: mirror, env, encoding: 'buffer' });
batch.child.stdin.end(['', ':Earthfile', ':k8s_version.json', ':earthly.sh'].map((p) => `refs/tags/${tag}^{commit}${p}\n`).join(''));
const [refs, files] = await Promise.all([run('git', ['ls-remote', '--tags', url], { cwd: mirror, env }), batch]);
const lines = refs.stdout.split('\n');
const commit = (lines.find((l) => l.endsWith(`refs/tags/${tag}^{}`)) ?? lines.find((l) => l.endsWith(`refs/tags/${tag}`))).split('\t')[0];
if (!files.stdout.toString('latin1').startsWith(commit)) throw new Error(`${tag} moved: the floor measures an unmoved tag`);
const text = await readFile(userData, 'utf8');
if (yaml === '--yaml') (await import('yaml')).parseDocument(text).toJS();
createHash('sha256').update(text);
const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
for (const a of manifest.artifacts) await stat(join(out, a.name));
