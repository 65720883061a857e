/**
 * test/setup/docker-engine.sh with stand-in `docker` and `dockerd` on PATH
 * (a `sleep` plays the daemon): `stop` stops only an engine that this shell's
 * `start` started, never one another run is using.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, test } from 'vitest';

const SCRIPT = resolve(import.meta.dirname, '../setup/docker-engine.sh');
const tmp = mkdtempSync(join(tmpdir(), 'edgebuild-engine-script-'));
const started: number[] = [];
afterAll(() => {
  for (const pid of started) {
    try {
      process.kill(pid);
    } catch {
      // already gone
    }
  }
  rmSync(tmp, { recursive: true, force: true });
});

function setup(name: string) {
  const root = join(tmp, name);
  const bin = join(root, 'bin');
  mkdirSync(bin, { recursive: true });
  // `docker -H <sock> version` answers while the daemon's pid lives; everything else succeeds.
  writeFileSync(join(bin, 'docker'), `#!/bin/sh\nif [ "$3" = version ]; then [ -f "${root}/dockerd.pid" ] && kill -0 "$(cat "${root}/dockerd.pid")" 2>/dev/null; exit $?; fi\nexit 0\n`);
  writeFileSync(join(bin, 'dockerd'), `#!/bin/sh\nwhile [ $# -gt 0 ]; do [ "$1" = --pidfile ] && echo $$ > "$2"; shift; done\nexec sleep 300\n`);
  chmodSync(join(bin, 'docker'), 0o755);
  chmodSync(join(bin, 'dockerd'), 0o755);
  return { root, env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, EDGEBUILD_TEST_DOCKER_ROOT: root, EDGEBUILD_TEST_DOCKERD_STARTED: undefined } };
}

/** `eval "$(docker-engine.sh start)"`, then `docker-engine.sh stop` in the same shell, as .ci/run does. */
function startThenStop(env: NodeJS.ProcessEnv): string {
  return execFileSync('bash', ['-c', `eval "$("${SCRIPT}" start)" && "${SCRIPT}" stop`], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('an engine that was already running is left running', () => {
  const { root, env } = setup('running');
  const daemon = spawn('sleep', ['300'], { stdio: 'ignore' });
  started.push(daemon.pid!);
  writeFileSync(join(root, 'dockerd.pid'), `${daemon.pid}\n`);
  startThenStop(env);
  expect(alive(daemon.pid!)).toBe(true);
});

test('an engine this shell started is stopped', () => {
  const { root, env } = setup('fresh');
  startThenStop(env);
  const pid = Number(execFileSync('cat', [join(root, 'dockerd.pid')], { encoding: 'utf8' }));
  started.push(pid);
  expect(alive(pid)).toBe(false);
});
