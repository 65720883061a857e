/**
 * Issue 10 item 5: `registries` output under the yaml.v2 oracle. yip reads the
 * stages on the edge host with gopkg.in/yaml.v2 into typed fields; K3s/RKE2
 * read registries.yaml the same way. Every generated `permissions` must decode
 * to the intended mode and every value to the intended string, whatever the
 * user's values hold — or edgebuild refuses them with exit 2 (issue 11 item 8):
 * never exit 0 with output a Go YAML reader rejects or misreads.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateRegistries, type Generated } from '../../src/core/registries/generate.js';
import { parseRegistries } from '../../src/core/registries/parse.js';
import type { Distribution, RegistriesFile } from '../../src/core/registries/types.js';
import { InputError } from '../../src/errors.js';
import { buildGoYaml, haveGoYaml, mapGet, type Canon, type GoYaml } from './goYaml.js';
import { CONTROL, HOSTILE } from './hostileValues.js';

const SCRIPT = readFileSync(fileURLToPath(new URL('../../assets/edgebuild-credential-provider.py', import.meta.url)), 'utf8');

function registriesFile(distribution: Distribution, v: string): RegistriesFile {
  const nonEmpty = v === '' ? 'x' : v;
  return {
    distribution,
    kubernetesVersion: '1.30.5',
    mirrors: {
      'docker.io': { endpoints: [{ url: 'https://mirror.company.local', ca: `/etc/ssl/${nonEmpty}.pem` }], ...(distribution === 'pxk-e' ? {} : { rewrite: { '^library/(.*)': `${v}$1` } }) },
    },
    credentials: { 'harbor.company.local': { username: nonEmpty, password: nonEmpty } },
    containerd: { sandboxImage: `registry.k8s.io/pause:3.9${v}`, configPath: `/etc/containerd/${nonEmpty}` },
    credentialProvider: { binDir: `/usr/local/${nonEmpty}`, credentialsDir: `/etc/kubernetes/${nonEmpty}` },
  };
}

type Outcome = { generated: Generated } | { refused: InputError };

function generate(distribution: Distribution, v: string): Outcome {
  // JSON is YAML: the input carries v exactly, whatever it holds.
  try {
    return { generated: generateRegistries(parseRegistries(JSON.stringify(registriesFile(distribution, v)), 'r.yaml'), { providerScript: SCRIPT }) };
  } catch (error) {
    if (error instanceof InputError) return { refused: error };
    throw error;
  }
}

const str = (c: Canon | undefined): string | undefined => (c !== null && c !== undefined && 'str' in c ? c.str : undefined);

const CASES = (['pxk-e', 'k3s', 'rke2'] as const).flatMap((d) => [...HOSTILE, ...CONTROL].map((v) => [d, v] as const));

describe.skipIf(!haveGoYaml)('registries output read by yaml.v2 as yip and K3s/RKE2 read it', () => {
  let go: GoYaml;
  const outcomes = new Map<string, Outcome>();
  const readings = new Map<string, ReturnType<GoYaml['read']>[number]>();
  const key = (d: string, v: string): string => `${d}\0${v}`;

  beforeAll(() => {
    go = buildGoYaml();
    const texts: string[] = [];
    for (const [d, v] of CASES) {
      const o = generate(d, v);
      outcomes.set(key(d, v), o);
      if ('generated' in o) {
        texts.push(o.generated.stagesYaml);
        if (o.generated.kubeadmConfig) texts.push(o.generated.kubeadmConfig);
        for (const f of Object.values(o.generated.stages).flatMap((steps) => steps.flatMap((s) => s.files))) if (f.path.endsWith('.yaml')) texts.push(f.content);
      }
    }
    // One Go process reads every document.
    go.readTexts(texts).forEach((r, i) => readings.set(texts[i]!, r));
  });
  afterAll(() => go?.dispose());

  test.each(CASES)('%s with %j', (d, v) => {
    const o = outcomes.get(key(d, v))!;
    if ('refused' in o) {
      // Only values no reader could take may be refused, and then with exit 2 and the fix.
      expect(CONTROL, `refused a legitimate value: ${o.refused.message}`).toContain(v);
      expect(o.refused.exitCode).toBe(2);
      expect(o.refused.code).toBe('registries-control-character');
      // One line naming the file:line:col, the key and the character.
      expect(o.refused.message).toMatch(/^r\.yaml:\d+:\d+: the value of \S+ contains the control character U\+[0-9A-F]{4}/);
      expect(o.refused.message).not.toContain('\n');
      expect(o.refused.fix).toBeTruthy();
      return;
    }
    const g = o.generated;
    const stages = readings.get(g.stagesYaml)!;
    expect(stages.error).toBeUndefined();
    expect(stages.yipError).toBeUndefined();
    // Every step, file, mode and content exactly as intended, in yip's typed fields.
    const intended = Object.fromEntries(
      Object.entries(g.stages).map(([stage, steps]) => [stage, steps.map((s) => ({ Name: s.name, Files: s.files.map((f) => ({ Path: f.path, Permissions: f.permissions, Owner: f.owner, Group: f.group, Content: f.content })) }))]),
    );
    const read = Object.fromEntries(
      Object.entries(stages.yip!.Stages!).map(([stage, steps]) => [stage, steps.map((s) => ({ Name: s.Name, Files: (s.Files ?? []).map(({ Path, Permissions, Owner, Group, Content }) => ({ Path, Permissions, Owner, Group, Content })) }))]),
    );
    expect(read).toEqual(intended);
    expect(g.files.map((f) => f.permissions).every((p) => [0o644, 0o600, 0o755].includes(p))).toBe(true);

    if (d !== 'pxk-e') {
      // registries.yaml inside the stage: K3s/RKE2 read it with yaml.v2 too.
      const content = g.stages.initramfs![0]!.files[0]!.content;
      const reading = readings.get(content)!;
      expect(reading.error).toBeUndefined();
      const doc = reading.docs![0]!;
      const auth = ['configs', 'harbor.company.local', 'auth'].reduce<Canon | undefined>((c, k) => (c === undefined ? undefined : mapGet(c, k)), doc);
      const nonEmpty = v === '' ? 'x' : v;
      expect(str(mapGet(auth!, 'username'))).toBe(nonEmpty);
      expect(str(mapGet(auth!, 'password'))).toBe(nonEmpty);
      const rewrite = ['mirrors', 'docker.io', 'rewrite', '^library/(.*)'].reduce<Canon | undefined>((c, k) => (c === undefined ? undefined : mapGet(c, k)), doc);
      expect(str(rewrite)).toBe(`${v}$1`);
      const tls = ['configs', 'mirror.company.local', 'tls', 'ca_file'].reduce<Canon | undefined>((c, k) => (c === undefined ? undefined : mapGet(c, k)), doc);
      expect(str(tls)).toBe(`/etc/ssl/${nonEmpty}.pem`);
    } else {
      const kubeadm = readings.get(g.kubeadmConfig!)!;
      expect(kubeadm.error).toBeUndefined();
      const args = ['initConfiguration', 'nodeRegistration', 'kubeletExtraArgs'].reduce<Canon | undefined>((c, k) => (c === undefined ? undefined : mapGet(c, k)), kubeadm.docs![0]!);
      expect(str(mapGet(args!, 'image-credential-provider-bin-dir'))).toBe(`/usr/local/${v === '' ? 'x' : v}`);
    }
  });
});
