/**
 * `edgebuild iso --target` accepts only targets it can verify (issue 14):
 * provider images point to their own command, +uki-genkey and +maas-image
 * have their outputs verified and published, anything else is exit 2 unless
 * --target-unverified runs it with only the exit status checked, loudly.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createCanvosRepo, type FixtureRepo } from '../fixtures/canvosRepo.js';
import { earthlyScript } from '../fixtures/earthlyScript.js';
import { describeDocker, oneBuildFileAtATime } from './dockerGuard.js';
import { runCli } from './cli.js';
import { CHECK_IDS } from '../../src/core/preflight/checks.js';
import { checkManifest } from '../../src/core/manifest.js';

let repo: FixtureRepo;
oneBuildFileAtATime();
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgebuild-targets-'));
  repo = createCanvosRepo([{ name: 'v4.6.24', files: { 'earthly.sh': earthlyScript('success') } }], join(dir, 'origin'));
  writeFileSync(join(dir, 'user-data.yaml'), '#cloud-config\nstylus:\n  site:\n    paletteEndpoint: api.example.invalid\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const iso = (name: string, extra: string[], env?: Record<string, string>) =>
  runCli(['iso', '--json', '--repo', repo.path, '--tag', 'v4.6.24', '--user-data', join(dir, 'user-data.yaml'), '--out', join(dir, name, 'dist'), '--work-dir', join(dir, name, 'work'), '--cache-dir', join(dir, 'cache'), '--skip-check', CHECK_IDS.join(','), ...extra], { cwd: dir, ...(env ? { env } : {}) });

test.each([
  ['+build-provider-images', /builds provider images, not an ISO\. Fix: run edgebuild provider-images/],
  ['+build-provider-images-fips', /builds provider images, not an ISO\. Fix: run edgebuild provider-images/],
  ['+build-all-images', /^--target \+build-all-images is not a target edgebuild iso can verify \(it verifies \+iso \(and \+iso-\* variants\)/],
  ['+build-uki-iso', /^--target \+build-uki-iso is not a target edgebuild iso can verify \(it verifies .*\+uki-genkey, \+maas-image;.*--target-unverified/],
])('iso --target %s is exit 2 before anything is checked out', async (target, message) => {
  const run = await iso('refused', ['--dry-run', '--target', target]);
  expect(run.code).toBe(2);
  expect((JSON.parse(run.stdout) as { error: { message: string } }).error.message).toMatch(message);
});

test('--target-unverified does not open the door to provider images', async () => {
  const run = await iso('refused', ['--dry-run', '--target', '+build-provider-images', '--target-unverified']);
  expect(run.code).toBe(2);
});

describeDocker('iso --target-unverified', () => {
  test('runs the target, checks only its exit status, says so loudly and publishes nothing', { timeout: 120_000 }, async () => {
    const run = await iso('unverified', ['--target', '+build-all-images', '--target-unverified']);
    expect(run.code, run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout) as { status: string; target: string; log: string; warnings: string[] };
    expect(doc).toMatchObject({ status: 'unverified', target: '+build-all-images' });
    expect(doc.warnings.join('\n')).toContain('UNVERIFIED: --target-unverified runs +build-all-images with only its exit status checked');
    expect(run.stderr).toContain('UNVERIFIED');
    expect(existsSync(join(dir, 'unverified', 'dist'))).toBe(false);
  });
});

/**
 * Build outputs as the real targets leave them in the checkout (Earthfile and
 * earthly.sh of CanvOS v4.10.0), written by the fixture earthly.sh, which then
 * ends with exit 0 before making an ISO. `after`: shell that spoils them.
 */
function targetOutputs(target: '+uki-genkey' | '+maas-image', after = ''): string {
  const make =
    target === '+uki-genkey'
      ? `mkdir -p secure-boot/enrollment secure-boot/private-keys secure-boot/public-keys
for k in PK KEK db; do
  echo "$k private key $RANDOM" > secure-boot/private-keys/$k.key
  echo "$k certificate" > secure-boot/public-keys/$k.pem
  echo "$k signed list" > secure-boot/enrollment/$k.auth
done
echo "tpm2 pcr private key" > secure-boot/private-keys/tpm2-pcr-private.pem`
      : `mkdir -p build
echo "maas image $RANDOM" | gzip > build/kairos-ubuntu-maas.raw.gz
sha256sum build/kairos-ubuntu-maas.raw.gz > build/kairos-ubuntu-maas.raw.gz.sha256`;
  return `${make}
${after}
docker rm -f earthly-buildkitd >/dev/null 2>&1
exit 0`;
}

const fileMode = (path: string): string => `0${(statSync(path).mode & 0o777).toString(8)}`;

describeDocker('iso --target +uki-genkey and +maas-image', () => {
  test('+uki-genkey: the keys under secure-boot/ are published with SHA256SUMS and manifest.json, private keys 0600', { timeout: 120_000 }, async () => {
    const run = await iso('genkey', ['--target', '+uki-genkey'], { EDGEBUILD_FIXTURE_SCRIPT: targetOutputs('+uki-genkey') });
    expect(run.code, run.stderr).toBe(0);
    const out = join(dir, 'genkey', 'dist');
    const keys = ['PK.key', 'KEK.key', 'db.key', 'tpm2-pcr-private.pem', 'PK.pem', 'KEK.pem', 'db.pem', 'PK.auth', 'KEK.auth', 'db.auth'];
    expect(readdirSync(out).sort()).toEqual([...keys, 'SHA256SUMS', 'manifest.json'].sort());
    for (const k of ['PK.key', 'KEK.key', 'db.key', 'tpm2-pcr-private.pem']) expect(fileMode(join(out, k)), k).toBe('0600');
    for (const k of ['PK.pem', 'db.auth', 'SHA256SUMS']) expect(fileMode(join(out, k)), k).toBe('0644');
    // sha256sum itself checks the published checksums, from inside --out.
    const checked = execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: out, encoding: 'utf8' });
    expect(checked.trim().split('\n').sort()).toEqual(keys.map((k) => `${k}: OK`).sort());
    const manifest = checkManifest(readFileSync(join(out, 'manifest.json'), 'utf8'));
    if (!('manifest' in manifest)) throw new Error(manifest.problem);
    expect(manifest.manifest.target).toBe('+uki-genkey');
    expect(manifest.manifest.artifacts.map((a) => a.name).sort()).toEqual([...keys, 'SHA256SUMS'].sort());
    expect(manifest.manifest.artifacts.find((a) => a.name === 'PK.key')).toMatchObject({ mode: '0600' });
    const doc = JSON.parse(run.stdout) as { status: string };
    expect(doc.status).toBe('built');
    // A rerun with the same inputs keeps the published keys (the fixture would write new ones).
    const pk = readFileSync(join(out, 'PK.key'), 'utf8');
    const again = await iso('genkey', ['--target', '+uki-genkey'], { EDGEBUILD_FIXTURE_SCRIPT: targetOutputs('+uki-genkey') });
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as { status: string }).status).toBe('up-to-date');
    expect(readFileSync(join(out, 'PK.key'), 'utf8')).toBe(pk);
  });

  test('+maas-image: build/<name>.raw.gz is published with a .sha256 checkable from --out', { timeout: 120_000 }, async () => {
    const run = await iso('maas', ['--target', '+maas-image'], { EDGEBUILD_FIXTURE_SCRIPT: targetOutputs('+maas-image') });
    expect(run.code, run.stderr).toBe(0);
    const out = join(dir, 'maas', 'dist');
    expect(readdirSync(out).sort()).toEqual(['kairos-ubuntu-maas.raw.gz', 'kairos-ubuntu-maas.raw.gz.sha256', 'manifest.json']);
    expect(fileMode(join(out, 'kairos-ubuntu-maas.raw.gz'))).toBe('0644');
    expect(execFileSync('sha256sum', ['-c', 'kairos-ubuntu-maas.raw.gz.sha256'], { cwd: out, encoding: 'utf8' })).toBe('kairos-ubuntu-maas.raw.gz: OK\n');
    expect(execFileSync('gzip', ['-dc', join(out, 'kairos-ubuntu-maas.raw.gz')], { encoding: 'utf8' })).toMatch(/^maas image \d+\n$/);
    const manifest = checkManifest(readFileSync(join(out, 'manifest.json'), 'utf8'));
    if (!('manifest' in manifest)) throw new Error(manifest.problem);
    expect(manifest.manifest.artifacts.map((a) => a.name)).toEqual(['kairos-ubuntu-maas.raw.gz', 'kairos-ubuntu-maas.raw.gz.sha256']);
  });

  test.each([
    ['+uki-genkey', 'rm secure-boot/private-keys/db.key', 'output-missing', /the build wrote no secure-boot\/private-keys\/db\.key/],
    ['+uki-genkey', 'rm secure-boot/enrollment/*', 'output-missing', /the build wrote no secure-boot\/enrollment\/ \(no files\)/],
    ['+uki-genkey', 'echo other > secure-boot/enrollment/PK.key', 'output-clash', /PK\.key is in more than one of secure-boot\/enrollment/],
    ['+maas-image', 'rm build/kairos-ubuntu-maas.raw.gz', 'output-missing', /the build wrote no build\/kairos-ubuntu-maas\.raw\.gz/],
    ['+maas-image', 'rm build/kairos-ubuntu-maas.raw.gz.sha256', 'checksum-missing', /build\/kairos-ubuntu-maas\.raw\.gz\.sha256 does not exist/],
    ['+maas-image', 'echo tampered | gzip >> build/kairos-ubuntu-maas.raw.gz', 'checksum-mismatch', /says [0-9a-f]{64} but kairos-ubuntu-maas\.raw\.gz's sha256 is/],
  ] as const)('%s exiting 0 after `%s` is exit 1 (%s) naming it, with nothing published', { timeout: 120_000 }, async (target, after, code, message) => {
    const name = `spoilt-${target.slice(1)}-${code}-${after.length}`;
    const run = await iso(name, ['--target', target], { EDGEBUILD_FIXTURE_SCRIPT: targetOutputs(target, after) });
    expect(run.code, run.stderr).toBe(1);
    const doc = JSON.parse(run.stdout) as { error: { code: string; message: string } };
    expect(doc.error.code).toBe(code);
    expect(doc.error.message).toMatch(message);
    expect(existsSync(join(dir, name, 'dist'))).toBe(false);
  });

  test('--target-unverified does not skip the verification of +maas-image', { timeout: 120_000 }, async () => {
    const run = await iso('maas-unverified', ['--target', '+maas-image', '--target-unverified'], { EDGEBUILD_FIXTURE_SCRIPT: targetOutputs('+maas-image', 'rm build/kairos-ubuntu-maas.raw.gz') });
    expect(run.code, run.stderr).toBe(1);
    expect((JSON.parse(run.stdout) as { error: { code: string } }).error.code).toBe('output-missing');
    expect(run.stderr).toContain('--target-unverified has no effect on +maas-image: its output is verified as always');
    expect(existsSync(join(dir, 'maas-unverified', 'dist'))).toBe(false);
  });
});
