/**
 * `edgebuild remaster` against real installer ISOs (GRUB from Debian, laid
 * out like Kairos/AuroraBoot), checked by booting them: QEMU with SeaBIOS and
 * with OVMF must show the boot marker and the NEW user-data on the serial
 * console. Boots are few (6) and short (GRUB halts after printing).
 */
import { fixtureManifest } from '../fixtures/publishedSet.js';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runImageTool } from '../fixtures/imageTool.js';
import { publish } from '../../src/pipeline/publish.js';
import { sha256 } from '../../src/core/digest.js';
import { prepareUserData } from '../../src/core/userData/prepare.js';
import { sha256File } from '../../src/adapters/checksum.js';
import { openIso } from '../../src/adapters/iso9660Reader.js';
import { inspectImage } from '../../src/adapters/xorriso.js';
import { diffLayouts, parseBootReport } from '../../src/core/iso9660/bootLayout.js';
import { END_MARKER, MARKER, makeGrubRescueIso, makeKairosIso, makeUkiIso } from '../fixtures/installerIso.js';
import { between, bootBesideControl, bootSerial, type Firmware } from '../fixtures/qemuBoot.js';
import { runCli } from './cli.js';

const TOKEN = 'tok-remaster-7c1d2e';
const OLD = '#cloud-config\nstylus:\n  site:\n    paletteEndpoint: old.example.invalid\n  imageRedirectWebhook:\n    enable: false\n';
const NEW = '#cloud-config\nstylus:\n  site:\n    paletteEndpoint: new.example.invalid\n    edgeHostToken: ${env:EDGE_TOKEN}\n  imageRedirectWebhook:\n    enable: true\n';
/** Over 2048 bytes: does not fit the allocation of OLD, so xorriso writes the image. The last line shows GRUB printed it whole. */
const BIG_END = 'end-of-the-big-user-data';
const BIG = `#cloud-config\nstylus:\n  site:\n    paletteEndpoint: big.example.invalid\n${'# padding padding padding padding padding padding padding\n'.repeat(40)}# ${BIG_END}\n`;
const PREPARED_BIG = prepareUserData(BIG, 'big.yaml', { env: {} }).text;
/** What `iso` embeds for NEW (webhook off, token substituted): remaster must embed exactly that. */
const PREPARED = prepareUserData(NEW, 'new.yaml', { env: { EDGE_TOKEN: TOKEN } }).text;

let work: string;
let newUserData: string;

async function embedded(iso: string, path: string): Promise<string | undefined> {
  const image = await openIso(iso);
  try {
    return (await image.readFile(path))?.toString('utf8');
  } finally {
    await image.close();
  }
}

/** Boots and returns GRUB's report between the markers; fails the test when it never printed it. */
async function bootReport(iso: string, firmware: Firmware): Promise<string> {
  const output = await bootSerial(iso, firmware);
  const report = between(output, MARKER, END_MARKER);
  if (!report) throw new Error(`${firmware} boot of ${iso} printed no marker; serial output ends with:\n${output.slice(-600)}`);
  return report;
}

function remaster(args: string[], env: Record<string, string> = {}): ReturnType<typeof runCli> {
  return runCli(['remaster', ...args], { cwd: work, env: { EDGE_TOKEN: TOKEN, ...env } });
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'edgebuild-remaster-'));
  newUserData = join(work, 'new.yaml');
  writeFileSync(newUserData, NEW);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('a published Kairos-layout ISO (hybrid MBR, El Torito BIOS + UEFI, appended ESP)', () => {
  let input: string;
  let inputSha: string;

  beforeAll(async () => {
    const built = join(work, 'kairos.iso');
    makeKairosIso(join(work, 'kairos-tree'), built, OLD);
    const hashed = await sha256File(built);
    inputSha = hashed.sha256;
    // Published the way `edgebuild iso` publishes: .sha256 and manifest.json beside it.
    const published = await publish({
      outDir: join(work, 'dist'),
      isoName: 'palette-edge-installer',
      iso: { path: built, ...hashed },
      isoMode: 0o644,
      secrets: [],
      manifest: fixtureManifest(OLD, {
        buildKey: 'key-of-the-original-build',
        canvos: { repo: 'https://example.invalid/CanvOS.git', tag: 'v4.6.0', commit: 'c'.repeat(40), peVersion: 'v4.6.0' },
        command: ['./earthly.sh', '+iso'],
        arg: { OS_DISTRIBUTION: 'ubuntu' },
      }),
    });
    input = published.artifacts[0]!.path;
  }, 120_000);

  test('--dry-run shows the changed key paths, never values, and writes nothing', async () => {
    const r = await remaster(['dist/palette-edge-installer.iso', '--user-data', newUserData, '--out', 'dry', '--dry-run', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.status).toBe('planned');
    expect(plan.changes).toEqual({ added: ['stylus.site.edgeHostToken'], removed: [], changed: ['stylus.site.paletteEndpoint'] });
    expect(plan.embeddedPath).toBe('files-iso/config.yaml');
    expect(plan.write).toEqual({ method: 'in-place' });
    expect(plan.bootLayout).toBe('El Torito BIOS+UEFI; MBR grub2-mbr cyl-align-off');
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
    expect(existsSync(join(work, 'dry'))).toBe(false);
  });

  test('--config supplies the user-data and keepWebhook, as for iso; --out may not be the input directory (exit 2)', async () => {
    writeFileSync(join(work, 'fleet.yaml'), 'userData: new.yaml\nkeepWebhook: true\n');
    const r = await remaster(['dist/palette-edge-installer.iso', '--config', 'fleet.yaml', '--dry-run', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.userData).toMatchObject({ source: newUserData, imageRedirectWebhook: true, secret: true });
    expect(plan.out).toBe(join(work, 'dist/remastered/palette-edge-installer.iso'));
    const same = await remaster(['dist/palette-edge-installer.iso', '--user-data', newUserData, '--out', 'dist']);
    expect(same.code).toBe(2);
    expect(same.stderr).toContain('is the directory of the input ISO');
  });

  test('remaster publishes a verified ISO with derivedFrom; verify accepts it; it is 0600 (token)', async () => {
    const r = await remaster(['dist/palette-edge-installer.iso', '--user-data', newUserData, '--out', 'dist2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
    const result = JSON.parse(r.stdout);
    expect(result.status).toBe('remastered');
    expect(result.write).toEqual({ method: 'in-place' });
    const out = join(work, 'dist2/palette-edge-installer.iso');
    expect(await embedded(out, 'files-iso/config.yaml')).toBe(PREPARED);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const manifestText = readFileSync(join(work, 'dist2/manifest.json'), 'utf8');
    expect(manifestText).not.toContain(TOKEN);
    const manifest = JSON.parse(manifestText);
    expect(manifest.derivedFrom).toEqual({ iso: 'palette-edge-installer.iso', sha256: inputSha, buildKey: 'key-of-the-original-build', userDataSha256: sha256(OLD) });
    expect(manifest.userData.sha256).toBe(sha256(PREPARED));
    expect(manifest.buildKey).not.toBe('key-of-the-original-build');
    expect(manifest.canvos.tag).toBe('v4.6.0');
    expect(readdirSync(join(work, 'dist2')).sort()).toEqual(['manifest.json', 'palette-edge-installer.iso', 'palette-edge-installer.iso.sha256']);
    const verify = await runCli(['verify', 'dist2/palette-edge-installer.iso'], { cwd: work });
    expect(verify.code, verify.stderr).toBe(0);
    // The input is untouched.
    expect((await sha256File(input)).sha256).toBe(inputSha);
  });

  test('a user-data that does not fit the old allocation is written by xorriso, verified and published', async () => {
    writeFileSync(join(work, 'big.yaml'), BIG);
    const r = await remaster(['dist/palette-edge-installer.iso', '--user-data', 'big.yaml', '--out', 'dist-big', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).write).toMatchObject({ method: 'xorriso', reason: expect.stringContaining('does not fit the 2048 bytes allocated to files-iso/config.yaml') });
    expect(await embedded(join(work, 'dist-big/palette-edge-installer.iso'), 'files-iso/config.yaml')).toBe(PREPARED_BIG);
    expect((await runCli(['verify', 'dist-big/palette-edge-installer.iso'], { cwd: work })).code).toBe(0);
  });

  test.each(['bios', 'uefi'] as const)('%s: the original boots with the old user-data, the remastered ones with the new (in place, and by xorriso)', async (firmware) => {
    const platform = firmware === 'bios' ? 'platform=pc' : 'platform=efi';
    const before = await bootReport(input, firmware);
    expect(before).toContain(platform);
    expect(before).toContain('old.example.invalid');
    const after = await bootReport(join(work, 'dist2/palette-edge-installer.iso'), firmware);
    expect(after).toContain(platform);
    expect(after).toContain('paletteEndpoint: new.example.invalid');
    expect(after).toContain(TOKEN);
    expect(after).toMatch(/enable: false/);
    expect(after).not.toContain('old.example.invalid');
    const big = await bootReport(join(work, 'dist-big/palette-edge-installer.iso'), firmware);
    expect(big).toContain(platform);
    expect(big).toContain('paletteEndpoint: big.example.invalid');
    expect(big).toContain(BIG_END);
    expect(big).not.toContain('old.example.invalid');
  }, 240_000);

  // The control: the boot check and the layout check do fail on an image that lost its BIOS boot.
  test("xorriso's naive -boot_image any keep loses GRUB's MBR patch: the layout check names it, SeaBIOS does not boot it", async () => {
    const kept = join(work, 'kept.iso');
    writeFileSync(join(work, 'prepared.yaml'), PREPARED);
    runImageTool('xorriso', ['-indev', input, '-outdev', kept, '-boot_image', 'any', 'keep', '-update', join(work, 'prepared.yaml'), '/files-iso/config.yaml', '-commit'], kept);
    const diff = diffLayouts(parseBootReport((await inspectImage(input)).boot), parseBootReport((await inspectImage(kept)).boot));
    expect(diff.lost).toContain('System area summary: MBR grub2-mbr cyl-align-off');
    // SeaBIOS gets to the CD and GRUB never reaches its config; the original, booted beside it, does within a fraction of the time it gets.
    const boot = await bootBesideControl(kept, input, 'bios', 'Booting from DVD/CD');
    expect(boot.control).toContain(MARKER);
    expect(boot.output).toContain('Booting from DVD/CD');
    expect(boot.output, `given ${boot.allowedMs} ms after the control's ${boot.controlMs} ms`).not.toContain(MARKER);
  }, 60_000);

  test('an input that does not match its .sha256 is refused and nothing is published', async () => {
    const dir = join(work, 'tampered');
    mkdirSync(dir);
    for (const f of ['palette-edge-installer.iso', 'palette-edge-installer.iso.sha256', 'manifest.json']) writeFileSync(join(dir, f), readFileSync(join(work, 'dist', f)));
    const iso = join(dir, 'palette-edge-installer.iso');
    const bytes = readFileSync(iso);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0xff, bytes.length - 1); // past the last file: still a readable image
    writeFileSync(iso, bytes);
    const r = await remaster(['tampered/palette-edge-installer.iso', '--user-data', newUserData, '--out', 'dist3']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/does not match|manifest\.json records/);
    expect(readdirSync(join(work, 'dist3'))).toEqual([]);
  });

  test("an --out holding someone else's manifest.json is refused before any work (exit 2)", async () => {
    mkdirSync(join(work, 'webapp'));
    writeFileSync(join(work, 'webapp/manifest.json'), '{"name": "my web app", "icons": []}\n');
    const r = await remaster(['dist/palette-edge-installer.iso', '--user-data', newUserData, '--out', 'webapp']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('edgebuild did not write');
    expect(r.stderr).not.toContain('Writing'); // refused before the copy, not by publish after it
    expect(readdirSync(join(work, 'webapp'))).toEqual(['manifest.json']);
  });

  test('an ISO without manifest.json needs --trust-input (exit 2)', async () => {
    const dir = join(work, 'loose');
    mkdirSync(dir);
    writeFileSync(join(dir, 'x.iso'), readFileSync(input));
    const r = await remaster(['loose/x.iso', '--user-data', newUserData, '--out', 'dist4']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--trust-input');
    expect(existsSync(join(work, 'dist4'))).toBe(false);
  });
});

describe('a UKI-style ISO (UEFI only, config.yaml at the root) with --trust-input', () => {
  test('is remastered, boots on UEFI with the new user-data, and the warning is loud', async () => {
    mkdirSync(join(work, 'uki'));
    const iso = join(work, 'uki/uki.iso');
    makeUkiIso(join(work, 'uki-tree'), iso, OLD);
    const r = await remaster(['uki/uki.iso', '--user-data', newUserData, '--out', 'uki-out', '--trust-input']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('config.yaml in place');
    expect(r.stderr).toMatch(/warning: --trust-input: .*uki\.iso is NOT checked/);
    const out = join(work, 'uki-out/uki.iso');
    expect(await embedded(out, 'config.yaml')).toBe(PREPARED);
    expect(JSON.parse(readFileSync(join(work, 'uki-out/manifest.json'), 'utf8')).derivedFrom.buildKey).toBeNull();
    expect((await runCli(['verify', 'uki-out/uki.iso'], { cwd: work })).code).toBe(0);
    expect(await bootReport(iso, 'uefi')).toContain('old.example.invalid');
    const after = await bootReport(out, 'uefi');
    expect(after).toContain('paletteEndpoint: new.example.invalid');
    expect(after).not.toContain('old.example.invalid');
  }, 240_000);
});

describe("grub-mkrescue's MBR + GPT + APM/HFS+ layout", () => {
  test('is refused with exit 1 naming the layout; nothing is published', async () => {
    mkdirSync(join(work, 'rescue'));
    const iso = join(work, 'rescue/rescue.iso');
    makeGrubRescueIso(join(work, 'rescue-tree'), iso, OLD);
    chmodSync(iso, 0o644);
    const r = await remaster(['rescue/rescue.iso', '--user-data', newUserData, '--out', 'rescue-out', '--trust-input', '--json']);
    expect(r.code).toBe(1);
    const error = JSON.parse(r.stdout).error;
    expect(error.code).toBe('remaster-layout');
    expect(error.message).toContain('cannot be preserved exactly');
    expect(error.message).toContain('GPT APM');
    // Written to a file, xorriso refuses outright ("GPT partitions 1 and 2 overlap"); streamed, it drops grub-mkrescue's last GPT gap partition.
    expect(error.message).toMatch(/would lose "GPT partname local: 4 Gap1"|GPT partitions 1 and 2 overlap/);
    expect(readdirSync(join(work, 'rescue-out'))).toEqual([]);
  }, 60_000);
});
