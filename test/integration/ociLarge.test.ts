/**
 * Large pushes against a real CNCF distribution registry (Debian's
 * docker-registry) on 127.0.0.1: a 4 GiB sparse ISO in flat memory, and a
 * 512 MiB push interrupted part way. Apart from oci.test.ts so that the two
 * share the workers: these are the longest OCI tests.
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { InterruptedError } from '../../src/errors.js';
import { runPush } from '../../src/pipeline/push.js';
import { publishSet } from '../fixtures/publishedSet.js';
import { registryDirFor, startRegistry } from '../fixtures/ociRegistry.js';
import { USER_DATA, cli, fresh, httpGet, useWorkDir, work } from './ociWork.js';

useWorkDir();

test('an interrupted push leaves no tag; pushed again it completes and pulls verified', async () => {
  const big = fresh('interrupt-dist');
  await publishSet(big, { userData: USER_DATA, isoBytes: 512 * 2 ** 20 });
  const storage = registryDirFor(2 ** 30, fresh('interrupt-registry'));
  const own = await startRegistry(storage);
  const controller = new AbortController();
  const uploads = join(own.storage, 'docker/registry/v2/repositories/edge/installer/_uploads');
  // Abort once the registry has received part of the ISO.
  const watcher = setInterval(() => {
    const sizes = existsSync(uploads) ? readdirSync(uploads).map((id) => (existsSync(join(uploads, id, 'data')) ? statSync(join(uploads, id, 'data')).size : 0)) : [];
    if (sizes.some((s) => s > 64 * 2 ** 20)) controller.abort();
  }, 5);
  const ref = `${own.host}/edge/installer:v1`;
  try {
    await expect(runPush({ source: big, to: ref, plainHttp: true, cwd: work, env: {}, signal: controller.signal, stderr: { write: () => true } })).rejects.toBeInstanceOf(InterruptedError);
    clearInterval(watcher);
    expect(controller.signal.aborted).toBe(true);
    expect((await httpGet(own.host, '/v2/edge/installer/manifests/v1')).status).toBe(404);
    const again = await cli(['push', 'interrupt-dist', '--to', ref, '--plain-http', '--json']);
    expect(again.code, again.stderr).toBe(0);
    const pulled = await cli(['pull', ref, '--out', 'interrupt-pulled', '--plain-http']);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(statSync(join(work, 'interrupt-pulled', 'installer.iso')).size).toBe(512 * 2 ** 20);
  } finally {
    clearInterval(watcher);
    await own.stop();
    rmSync(storage, { recursive: true, force: true });
  }
}, 120_000);

test('a 4 GiB sparse ISO is pushed in chunks in flat memory (RSS grows by far less than the ISO)', async () => {
  const big = fresh('big-dist');
  await publishSet(big, { userData: USER_DATA, isoBytes: 4 * 2 ** 30 });
  const storage = registryDirFor(5 * 2 ** 30, fresh('big-registry'));
  const own = await startRegistry(storage);
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  try {
    const result = await runPush({ source: big, to: `${own.host}/edge/installer:big`, plainHttp: true, cwd: work, env: {}, stderr: { write: () => true } });
    expect(result.layers[0]).toMatchObject({ size: 4 * 2 ** 30, uploaded: true });
    expect(statSync(own.blobFile(result.layers[0]!.digest)).size).toBe(4 * 2 ** 30);
  } finally {
    clearInterval(sampler);
    await own.stop();
    rmSync(storage, { recursive: true, force: true });
    rmSync(big, { recursive: true, force: true });
  }
  // Two 32 MiB chunk buffers plus sockets: far below the 4 GiB a buffered upload would need.
  expect(peak - before).toBeLessThan(256 * 2 ** 20);
}, 300_000);
