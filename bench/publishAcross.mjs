#!/usr/bin/env node
/**
 * Publishing a verified ISO into an --out on another file system (the
 * checkout on tmpfs /dev/shm, --out under the temp dir), against `cp` of the
 * same file followed by `sync` of the copy (the reference: one read, one
 * write made durable as publish makes it, nothing checked), in the
 * same rounds, alternating. publish() runs in a child Node.js process (start
 * included, as for cp) and must read the ISO once: it hashes the bytes as it
 * copies them and compares with the verified hash. The ISO is random bytes
 * (tmpfs holds it in memory, so this measures the copy and the hash, not a
 * disk). `--before <dir>` adds the publish() of another build.
 *
 *   npm run build && node bench/publishAcross.mjs [rounds=5] [MiB=1024] [--before <dir>]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import process from 'node:process';
import { alternate, beforeCli, printTable, timed } from './lib/measure.mjs';

const before = beforeCli();
const rounds = Number(process.argv[2] ?? 5);
const mib = Number(process.argv[3] ?? 1024);
const fast = '/dev/shm';
if (!existsSync(fast) || statSync(fast).dev === statSync(tmpdir()).dev) throw new Error(`${fast} is not a file system of its own here`);
const checkout = mkdtempSync(join(fast, 'edgebuild-bench-publish-'));
const outRoot = mkdtempSync(join(tmpdir(), 'edgebuild-bench-publish-'));
const master = join(checkout, 'master.iso');

const child = (dist) => `
const { publish } = await import(${JSON.stringify(`${dist}/pipeline/publish.js`)});
const [iso, sha256, size, out] = process.argv.slice(1);
await publish({ outDir: out, isoName: 'bench', iso: { path: iso, sha256, size: Number(size) }, secrets: [], isoMode: 0o644, manifest: {
  edgebuild: { version: '0.0.0' }, buildKey: 'bench', canvos: { repo: 'bench', tag: 'bench', commit: 'bench', peVersion: null }, target: '+iso', command: [], arg: {},
  userData: { sha256: '0'.repeat(64), imageRedirectWebhook: false, isoPath: 'files-iso/config.yaml' }, files: [], preflight: null,
  startedAt: new Date().toISOString(), finishedAt: new Date().toISOString(), durationMs: 0 } });
`;

try {
  execFileSync('sh', ['-c', `head -c ${mib}M /dev/urandom > '${master}'`]);
  const sha256 = execFileSync('openssl', ['dgst', '-sha256', '-r', master], { encoding: 'utf8' }).split(' ')[0];
  const size = String(mib * 2 ** 20);
  let n = 0;
  /** A fresh copy of the ISO in the checkout (not timed), then the timed command. */
  const prepared = (argv) => () => {
    const iso = join(checkout, `build-${n++}.iso`);
    execFileSync('cp', [master, iso]);
    const out = join(outRoot, `out-${n}`);
    try {
      return timed(argv(iso, out));
    } finally {
      rmSync(out, { recursive: true, force: true });
      rmSync(iso, { force: true });
    }
  };
  const variants = {
    'cp + sync (reference)': prepared((iso, out) => ['sh', '-c', `mkdir '${out}' && cp '${iso}' '${out}/bench.iso' && sync '${out}/bench.iso'`]),
    'publish()': prepared((iso, out) => [process.execPath, '--input-type=module', '-e', child(resolve('dist')), iso, sha256, size, out]),
  };
  if (before) variants['publish() (before)'] = prepared((iso, out) => [process.execPath, '--input-type=module', '-e', child(resolve(before, '../..')), iso, sha256, size, out]);
  const samples = alternate(rounds, variants);
  console.log(`Node.js ${process.version}, ${mib} MiB ISO from tmpfs to ${tmpdir()}, ${rounds} alternating rounds, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
  printTable(samples, 'cp + sync (reference)');
} finally {
  rmSync(checkout, { recursive: true, force: true });
  rmSync(outRoot, { recursive: true, force: true });
}
