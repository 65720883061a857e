/**
 * Shared guard for the tests that need a real Docker engine. They run when an
 * engine answers on DOCKER_HOST (default: the local unix socket); otherwise
 * they skip with a message — unless EDGEBUILD_REQUIRE_DOCKER=1 (CI), where
 * they run anyway and fail loudly instead of passing by skipping.
 *
 *   import { describeDocker, testImage } from './dockerGuard.js';
 *   describeDocker('docker adapter', () => { ... });
 *
 * Uses plain node:http (not the adapter under test) so a broken adapter
 * cannot make its own tests skip.
 */
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { acquireLock } from '../../src/adapters/files.js';

export const dockerHost: string = process.env.DOCKER_HOST || 'unix:///var/run/docker.sock';
export const dockerRequired: boolean = process.env.EDGEBUILD_REQUIRE_DOCKER === '1';
/** A small local image (see test/setup/docker-engine.sh); no registry is reachable. */
export const testImage: string = process.env.EDGEBUILD_TEST_IMAGE || 'edgebuild-test/busybox:latest';

function ping(host: string, timeoutMs: number): Promise<boolean> {
  let target: { socketPath: string } | { host: string; port: number };
  if (host.startsWith('unix://')) target = { socketPath: host.slice('unix://'.length) };
  else if (host.startsWith('tcp://')) {
    const url = new URL(host.replace(/^tcp:/, 'http:'));
    target = { host: url.hostname, port: Number(url.port || 2375) };
  } else return Promise.resolve(false);
  return new Promise((resolve) => {
    const req = request({ ...target, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

export const dockerAvailable: boolean = await ping(dockerHost, 3000);

if (!dockerAvailable && !dockerRequired) {
  console.warn(
    `skipping Docker tests: no engine answers at ${dockerHost} ` +
      '(start one with: eval "$(test/setup/docker-engine.sh start)"; set EDGEBUILD_REQUIRE_DOCKER=1 to make this an error)',
  );
}

/** `describe` when an engine answers or one is required; skipped otherwise. */
export const describeDocker: (name: string, body: () => void) => void = describe.skipIf(!dockerAvailable && !dockerRequired);

/**
 * For files whose fixture builds run on the test engine (isoBuild, isoTargets):
 * the fixture earthly.sh starts and removes a fixed-name `earthly-buildkitd`,
 * and the tests check that no build container is left, so two such files
 * must not run at once. The file holds an edgebuild lock (the adapter's: a
 * holder that died is taken over) from its first test to its last; the
 * other waits in its beforeAll. Call at the top level of the file.
 */
export function oneBuildFileAtATime(): void {
  let release: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const engine = dockerHost.replace(/[^A-Za-z0-9]+/g, '_');
    release = await acquireLock(join(tmpdir(), 'edgebuild-test-locks', `fixture-builds-${engine}.lock`), 'edgebuild tests with fixture builds', { wait: true, pollMs: 200 });
  }, 600_000);
  afterAll(() => release?.());
}
