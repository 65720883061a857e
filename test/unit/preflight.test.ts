import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { InputError } from '../../src/errors.js';
import {
  CHECK_IDS,
  applySkips,
  earthlyImage,
  evaluatePreflight,
  groupFilesystems,
  parseSkipIds,
  preflightSettings,
  preflightStatus,
  usableCpus,
  type Check,
  type CheckId,
} from '../../src/core/preflight/checks.js';
import type { DockerEndpoint, EngineFacts, PreflightFacts, ProbeFacts } from '../../src/core/preflight/facts.js';

const GiB = 1024 ** 3;
const GB = 1e9;
const SOCKET: DockerEndpoint = { url: 'unix:///var/run/docker.sock', kind: 'unix', address: '/var/run/docker.sock', fromEnv: false, local: true };
const ENGINE: Extract<EngineFacts, { ok: true }> = {
  ok: true,
  endpoint: SOCKET,
  version: '28.2.2',
  apiVersion: '1.50',
  platformName: 'Docker Engine - Community',
  components: ['Engine', 'containerd', 'runc', 'docker-init'],
  architecture: 'x86_64',
  rootDir: '/var/lib/docker',
  rootless: false,
};

/** A healthy build host: every check passes. Tests change one thing at a time. */
function healthy(): PreflightFacts {
  return {
    host: {
      platform: 'linux',
      arch: 'x64',
      cpus: { host: 8, available: 8, affinity: 8 },
      memory: { totalBytes: 31.2 * GiB },
      git: { version: '2.43.0' },
    },
    engine: ENGINE,
    spaces: [
      { role: 'work dir', path: '/home/ci/work/.edgebuild', device: '2049', freeBytes: 400 * GB },
      { role: 'Docker data root', path: '/var/lib/docker', device: '2049', freeBytes: 400 * GB },
    ],
    probe: { outcome: 'started', image: 'earthly/earthly:v0.8.15', exitCode: 0 },
  };
}

function only(id: CheckId, facts: PreflightFacts, thresholds = undefined): Check {
  return evaluatePreflight(facts, thresholds).find((c) => c.id === id)!;
}

function withHost(change: Partial<PreflightFacts['host']>): PreflightFacts {
  const facts = healthy();
  return { ...facts, host: { ...facts.host, ...change } };
}

describe('a healthy host', () => {
  test('passes every check, in the documented order, with nothing to fix', () => {
    const checks = evaluatePreflight(healthy());
    expect(checks.map((c) => c.id)).toEqual([...CHECK_IDS]);
    expect(checks.every((c) => c.status === 'pass' && c.fix === undefined)).toBe(true);
    expect(preflightStatus(checks)).toBe('ok');
  });
});

describe('arch', () => {
  test.each([
    ['linux', 'x64', undefined, 'pass', 'linux/amd64'],
    ['darwin', 'arm64', undefined, 'fail', 'darwin/arm64'],
    ['linux', 'arm64', undefined, 'fail', 'linux/arm64'],
    ['win32', 'x64', undefined, 'fail', 'win32/amd64'],
    ['linux', 'x64', 'aarch64', 'fail', 'linux/amd64 (engine: aarch64)'],
    ['linux', 'x64', 'amd64', 'pass', 'linux/amd64 (engine: amd64)'],
  ] as const)('%s/%s, engine %s → %s', (platform, arch, engineArch, status, found) => {
    const facts = withHost({ platform, arch });
    facts.engine = { ...ENGINE, architecture: engineArch };
    const check = only('arch', facts);
    expect(check.status).toBe(status);
    expect(check.found).toBe(found);
    if (status === 'fail') expect(check.fix).toBeTruthy();
  });
});

describe('cpu: what this process may use, not what the machine has', () => {
  test.each([
    ['8 CPUs, no limits', { host: 8, available: 8 }, 'pass', '8'],
    ['exactly 4', { host: 4, available: 4, affinity: 4 }, 'pass', '4'],
    ['2 CPUs', { host: 2, available: 2, affinity: 2 }, 'fail', '2'],
    ['affinity pins 2 of 16', { host: 16, available: 16, affinity: 2 }, 'fail', '2 (CPU affinity allows 2; host has 16)'],
    ['cgroup quota 1.5 on 16', { host: 16, available: 16, affinity: 16, quota: 1.5 }, 'fail', '1.5 (cgroup CPU quota 1.5; host has 16)'],
    ['cgroup quota 3.5 is not 4', { host: 16, available: 16, quota: 3.5 }, 'fail', '3.5 (cgroup CPU quota 3.5; host has 16)'],
    ['cgroup quota 4 on 16', { host: 16, available: 16, quota: 4 }, 'pass', '4 (cgroup CPU quota 4; host has 16)'],
    ['quota above the CPUs: the CPUs bind', { host: 2, available: 2, quota: 8 }, 'fail', '2'],
    ['libuv sees fewer (availableParallelism)', { host: 8, available: 3 }, 'fail', '3'],
  ])('%s', (_name, cpus, status, found) => {
    const check = only('cpu', withHost({ cpus }));
    expect(check.status).toBe(status);
    expect(check.found).toBe(found);
  });

  test('the fix names the limit that binds', () => {
    expect(only('cpu', withHost({ cpus: { host: 16, available: 16, quota: 2 } })).fix).toMatch(/--cpus 4/);
    expect(only('cpu', withHost({ cpus: { host: 16, available: 16, affinity: 2 } })).fix).toMatch(/affinity/);
    expect(only('cpu', withHost({ cpus: { host: 2, available: 2 } })).fix).toMatch(/at least 4 CPUs/);
  });

  test('usable CPUs never exceed any bound (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 256 }), fc.integer({ min: 1, max: 256 }), fc.option(fc.integer({ min: 1, max: 256 }), { nil: undefined }), fc.option(fc.double({ min: 0.1, max: 256, noNaN: true }), { nil: undefined }), (host, available, affinity, quota) => {
        const usable = usableCpus({ host, available, affinity, quota });
        expect(usable).toBeLessThanOrEqual(available);
        if (affinity !== undefined) expect(usable).toBeLessThanOrEqual(affinity);
        if (quota !== undefined) expect(usable).toBeLessThanOrEqual(quota);
      }),
    );
  });
});

describe('memory: the 8 GB rule', () => {
  // MemTotal values seen on real machines (kB from /proc/meminfo × 1024).
  test.each([
    ['8 GB laptop, MemTotal 8029468 kB (7.66 GiB)', 8029468 * 1024, undefined, 'pass'],
    ['8 GB server, MemTotal 8148236 kB (7.77 GiB)', 8148236 * 1024, undefined, 'pass'],
    ['8 GB cloud VM, 7.6 GiB', 7.6 * GiB, undefined, 'pass'],
    ['exactly 8 GiB (container limit)', 64 * GiB, 8 * GiB, 'pass'],
    ['just below 90% of 8 GiB', 7.19 * GiB, undefined, 'fail'],
    ['6 GiB VM', 6 * GiB, undefined, 'fail'],
    ['4 GB machine, MemTotal 3931016 kB (3.75 GiB)', 3931016 * 1024, undefined, 'fail'],
    ['4 GiB cgroup limit on a 64 GiB host', 64 * GiB, 4 * GiB, 'fail'],
    ['cgroup limit above the RAM does not count', 16 * GiB, 32 * GiB, 'pass'],
  ])('%s → %s', (_name, totalBytes, cgroupLimitBytes, status) => {
    const check = only('memory', withHost({ memory: { totalBytes, cgroupLimitBytes } }));
    expect(check.status).toBe(status);
    expect(check.required).toBe('8 GB (>= 7.2 GiB reported)');
  });

  test('a cgroup limit is named as such, with the docker flag that raises it', () => {
    const check = only('memory', withHost({ memory: { totalBytes: 64 * GiB, cgroupLimitBytes: 4 * GiB } }));
    expect(check.found).toBe('4 GiB (cgroup limit; host has 64 GiB)');
    expect(check.fix).toMatch(/--memory 8g/);
  });

  test('thresholds come from the config: minMemoryGB 16 refuses an 8 GB machine', () => {
    const facts = withHost({ memory: { totalBytes: 7.7 * GiB } });
    const check = evaluatePreflight(facts, { minCpus: 4, minMemoryGB: 16, minDiskGB: 150 }).find((c) => c.id === 'memory')!;
    expect(check.status).toBe('fail');
    expect(check.required).toBe('16 GB (>= 14.4 GiB reported)');
  });
});

describe('disk: each filesystem once', () => {
  test('work dir and data root on one filesystem are one row, both roles named', () => {
    const check = only('disk', healthy());
    expect(check.status).toBe('pass');
    expect(check.found).toBe('/home/ci/work/.edgebuild (work dir, Docker data root): 400 GB free');
  });

  test('two filesystems: the short one fails, named with its free space', () => {
    const facts = healthy();
    facts.spaces[1] = { role: 'Docker data root', path: '/var/lib/docker', device: '2050', freeBytes: 90 * GB };
    const check = only('disk', facts);
    expect(check.status).toBe('fail');
    expect(check.message).toBe('/var/lib/docker (Docker data root) has 90 GB free; the build needs 150 GB');
    expect(check.found).toContain('/home/ci/work/.edgebuild (work dir): 400 GB free; /var/lib/docker (Docker data root): 90 GB free');
  });

  test('one filesystem with 149.9 GB fails, 150 GB passes (decimal GB, as df -H)', () => {
    for (const [free, status] of [[149.9 * GB, 'fail'], [150 * GB, 'pass']] as const) {
      const facts = healthy();
      facts.spaces = facts.spaces.map((s) => ({ ...s, freeBytes: free }));
      expect(only('disk', facts).status).toBe(status);
    }
  });

  test('a remote engine: the work dir is checked, the data root is said not to be', () => {
    const facts = healthy();
    facts.engine = { ...ENGINE, endpoint: { url: 'tcp://build01:2376', kind: 'tcp', address: 'build01:2376', fromEnv: true, local: false } };
    facts.spaces[1] = { role: 'Docker data root', path: '/var/lib/docker', unknown: 'it is on the remote engine tcp://build01:2376; its free space cannot be read from this host' };
    const check = only('disk', facts);
    expect(check.status).toBe('warn');
    expect(check.message).toBe('work dir has 400 GB free; not checked: Docker data root /var/lib/docker: it is on the remote engine tcp://build01:2376; its free space cannot be read from this host');
    expect(check.fix).toMatch(/\/var\/lib\/docker has 150 GB free/);
  });

  test('a remote engine does not hide a short work dir', () => {
    const facts = healthy();
    facts.spaces = [{ ...facts.spaces[0]!, freeBytes: 20 * GB }, { role: 'Docker data root', path: '/var/lib/docker', unknown: 'remote' }];
    expect(only('disk', facts).status).toBe('fail');
  });

  test('groupFilesystems keeps paths without a device apart', () => {
    const groups = groupFilesystems([
      { role: 'work dir', path: '/a', device: '1', freeBytes: 1 },
      { role: 'Docker data root', path: '/b', unknown: 'x' },
    ]);
    expect(groups.map((g) => g.roles)).toEqual([['work dir'], ['Docker data root']]);
  });
});

describe('git', () => {
  test.each([
    [{ version: '2.39.5' }, 'pass', 'git 2.39.5'],
    [{ error: 'git is not installed or not on PATH' }, 'fail', 'not found'],
  ] as const)('%j → %s', (git, status, found) => {
    const check = only('git', withHost({ git }));
    expect(check.status).toBe(status);
    expect(check.found).toBe(found);
  });
});

describe('docker: the engine answers, or the message names the socket and the likely fix', () => {
  const envSocket: DockerEndpoint = { url: 'unix:///run/user/1000/docker.sock', kind: 'unix', address: '/run/user/1000/docker.sock', fromEnv: true, local: true };
  test.each([
    [SOCKET, 'no-socket', 'connect ENOENT', /no Docker socket at \/var\/run\/docker\.sock: .*DOCKER_HOST is not set/, /systemctl start docker/],
    [envSocket, 'no-socket', 'connect ENOENT', /no Docker socket at \/run\/user\/1000\/docker\.sock: unix:\/\/\/run\/user\/1000\/docker\.sock \(from DOCKER_HOST\)/, /point DOCKER_HOST at the socket/],
    [SOCKET, 'permission', 'connect EACCES', /permission denied on the Docker socket \/var\/run\/docker\.sock/, /usermod -aG docker/],
    [SOCKET, 'refused', 'connect ECONNREFUSED', /nothing answers on the Docker socket/, /start the Docker daemon/],
    [SOCKET, 'timeout', '2 s (GET /_ping)', /did not answer within 2 s \(GET \/_ping\)/, /hung or overloaded: restart it/],
    [{ url: 'tcp://10.0.0.5:2375', kind: 'tcp', address: '10.0.0.5:2375', fromEnv: true, local: false }, 'refused', 'ECONNREFUSED', /connection refused by 10\.0\.0\.5:2375/, /dockerd listens/],
    [{ url: 'tcp://nohost:2375', kind: 'tcp', address: 'nohost:2375', fromEnv: true, local: false }, 'unresolved', 'ENOTFOUND', /cannot resolve the Docker host nohost:2375/, /DOCKER_HOST/],
    [{ url: 'foo://x', kind: 'tcp', address: 'foo://x', fromEnv: true, local: false }, 'bad-host', 'DOCKER_HOST=foo://x', /not a Docker endpoint: DOCKER_HOST=foo:\/\/x/, /unix:\/\/\/path/],
    [SOCKET, 'tls', 'bad certificate', /TLS/, /DOCKER_CERT_PATH/],
    [SOCKET, 'other', 'HTTP 404: page not found', /did not answer: HTTP 404/, /docker -H unix:\/\/\/var\/run\/docker\.sock version/],
  ] as const)('%j %s', (endpoint, failure, detail, message, fix) => {
    const facts = healthy();
    facts.engine = { ok: false, endpoint, failure, detail };
    facts.probe = undefined;
    const checks = evaluatePreflight(facts);
    const docker = checks.find((c) => c.id === 'docker')!;
    expect(docker.status).toBe('fail');
    expect(docker.found).toBe(`no answer at ${endpoint.url}`);
    expect(docker.message).toMatch(message);
    expect(docker.fix).toMatch(fix);
    // What depends on the engine is not checked, and says why.
    expect(checks.find((c) => c.id === 'docker-version')).toMatchObject({ status: 'skip', message: 'not checked: the Docker engine did not answer' });
    expect(checks.find((c) => c.id === 'privileged')).toMatchObject({ status: 'skip' });
  });

  test('a remote engine fails: earthly.sh bind-mounts paths of this machine (issue 13)', () => {
    const facts = healthy();
    facts.engine = { ...ENGINE, endpoint: { url: 'ssh://build01:22', kind: 'ssh', address: 'build01:22', fromEnv: true, local: false } };
    const check = only('docker', facts);
    expect(check.status).toBe('fail');
    expect(check.message).toMatch(/is remote: earthly.sh bind-mounts the CanvOS checkout/);
    expect(check.fix).toContain('unset DOCKER_HOST');
  });

  test('a remote engine chosen by a docker context fails naming the context, unanswered', () => {
    const facts = healthy();
    const endpoint = { url: 'tcp://10.1.2.3:2375', kind: 'tcp', address: '10.1.2.3:2375', fromEnv: false, local: false, context: 'lab' } as const;
    facts.engine = { ok: false, endpoint, failure: 'remote', detail: endpoint.url };
    const check = only('docker', facts);
    expect(check.status).toBe('fail');
    expect(check.message).toContain('tcp://10.1.2.3:2375 (from docker context "lab") is remote');
    expect(check.fix).toContain('docker context use default');
  });

  test('rootless Docker is named', () => {
    const facts = healthy();
    facts.engine = { ...ENGINE, rootless: true };
    expect(only('docker', facts).found).toBe('Docker Engine - Community 28.2.2 at unix:///var/run/docker.sock (rootless)');
  });
});

describe('docker-version', () => {
  test.each([
    ['28.2.2', undefined, [], 'pass'],
    ['20.10.24+dfsg1', undefined, ['Engine', 'containerd'], 'pass'],
    ['18.09.0', undefined, [], 'pass'],
    ['18.09', undefined, [], 'pass'],
    ['v25.0.3', undefined, [], 'pass'],
    ['18.06.3-ce', undefined, [], 'fail'],
    ['17.12.1-ce', undefined, [], 'fail'],
    ['1.13.1', undefined, [], 'fail'],
    ['dev', undefined, [], 'warn'],
    ['4.9.3', undefined, ['Podman Engine'], 'warn'],
    ['5.2.0-dev', 'Podman Engine', [], 'warn'],
  ] as const)('%s (platform %s, components %j) → %s', (version, platformName, components, status) => {
    const facts = healthy();
    facts.engine = { ...ENGINE, version, platformName, components: [...components] };
    const check = only('docker-version', facts);
    expect(check.status).toBe(status);
    expect(check.required).toBe('>= 18.09');
    if (status !== 'pass') expect(check.fix).toBeTruthy();
  });

  test('Podman is named', () => {
    const facts = healthy();
    facts.engine = { ...ENGINE, version: '4.9.3', platformName: undefined, components: ['Podman Engine'] };
    expect(only('docker-version', facts)).toMatchObject({ found: 'Podman 4.9.3 (API 1.50)', message: expect.stringMatching(/Podman 4\.9\.3 through its Docker-compatible API/) });
  });
});

describe('privileged', () => {
  const image = 'us-docker.pkg.dev/palette-images/third-party/edge/earthly/earthly:v0.8.15';
  const caps = 'failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: unable to apply caps: operation not permitted: unknown';
  test.each([
    [{ outcome: 'started', image, exitCode: 0 }, false, 'pass', /started and was removed/],
    [{ outcome: 'started', image, exitCode: 0, pulled: true }, false, 'pass', /started and was removed/],
    [{ outcome: 'started', image, exitCode: 0 }, true, 'warn', /^rootless Docker: /],
    [{ outcome: 'refused', image, error: caps }, false, 'fail', /^the engine refused a privileged container: .*unable to apply caps/],
    [{ outcome: 'refused', image, error: 'authorization denied by plugin opa: privileged containers are not allowed' }, false, 'fail', /authorization denied by plugin/],
    [{ outcome: 'refused', image, error: caps }, true, 'fail', /^rootless Docker: the engine refused/],
    [{ outcome: 'no-image', image, error: 'dial tcp: lookup us-docker.pkg.dev: no such host' }, false, 'warn', /could not get the probe image .*no such host/],
    [{ outcome: 'error', image, error: 'the engine did not answer within 30 s (start the probe container)' }, false, 'fail', /probe .* failed: the engine did not answer/],
    [undefined, false, 'skip', /did not run/],
  ] as const)('%j rootless=%s → %s', (probe, rootless, status, message) => {
    const facts = healthy();
    facts.engine = { ...ENGINE, rootless };
    facts.probe = probe as ProbeFacts | undefined;
    const check = only('privileged', facts);
    expect(check.status).toBe(status);
    expect(check.message).toMatch(message);
    if (status === 'fail' || status === 'warn') expect(check.fix).toBeTruthy();
  });

  test('rootless and refused: the fix says rootful Docker', () => {
    const facts = healthy();
    facts.engine = { ...ENGINE, rootless: true };
    facts.probe = { outcome: 'refused', image, error: caps };
    expect(only('privileged', facts)).toMatchObject({ found: 'refused (rootless Docker)', fix: expect.stringMatching(/rootful Docker/) });
  });
});

describe('--skip-check', () => {
  test('known ids parse; unknown ids are a usage error (exit 2) listing the valid ones', () => {
    expect([...parseSkipIds(['cpu', 'privileged'])]).toEqual(['cpu', 'privileged']);
    expect(() => parseSkipIds(['cpus'])).toThrow(InputError);
    try {
      parseSkipIds(['cpu', 'cpus', 'ram']);
    } catch (error) {
      expect((error as InputError).exitCode).toBe(2);
      expect((error as InputError).line).toBe('--skip-check: unknown check "cpus", "ram". Fix: use ids from: arch, cpu, memory, disk, git, docker, docker-version, privileged, or all');
    }
  });

  test('a skipped failure becomes skip, keeps what was found, and warns; the rest stand', () => {
    const facts = withHost({ cpus: { host: 2, available: 2 } });
    const evaluated = evaluatePreflight(facts);
    expect(preflightStatus(evaluated)).toBe('failed');
    const { checks, warnings } = applySkips(evaluated, new Set(['cpu', 'git']));
    expect(checks.find((c) => c.id === 'cpu')).toEqual({
      id: 'cpu',
      status: 'skip',
      required: '>= 4 CPUs',
      found: '2',
      message: 'skipped by --skip-check; it fails: only 2 CPUs usable by this process; the build needs 4',
    });
    expect(warnings).toEqual([
      'preflight check "cpu" skipped (--skip-check); it fails: only 2 CPUs usable by this process; the build needs 4',
      'preflight check "git" skipped (--skip-check); it would pass: git 2.43.0',
    ]);
    expect(preflightStatus(checks)).toBe('ok');
  });
});

describe('settings from the build config', () => {
  test('defaults are 4 CPUs, 8 GB, 150 GB and the Earthly image earthly.sh runs', () => {
    expect(preflightSettings({})).toEqual({
      thresholds: { minCpus: 4, minMemoryGB: 8, minDiskGB: 150 },
      probeImage: 'us-docker.pkg.dev/palette-images/third-party/edge/earthly/earthly:v0.8.15',
    });
  });

  test('preflight: overrides; .arg SPECTRO_PUB_REPO / EARTHLY_VERSION move the default image as they move earthly.sh', () => {
    expect(preflightSettings({ preflight: { minCpus: 8, minDiskGB: 300 }, arg: { SPECTRO_PUB_REPO: 'registry.lab:5000/spectro' } })).toEqual({
      thresholds: { minCpus: 8, minMemoryGB: 8, minDiskGB: 300 },
      probeImage: 'registry.lab:5000/spectro/third-party/edge/earthly/earthly:v0.8.15',
    });
    expect(earthlyImage({ EARTHLY_VERSION: 'v0.8.16' })).toBe('us-docker.pkg.dev/palette-images/third-party/edge/earthly/earthly:v0.8.16');
    expect(preflightSettings({ preflight: { probeImage: 'busybox:1.36' } }).probeImage).toBe('busybox:1.36');
  });
});
