import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { FALLBACK_IMAGE_PATH, chooseVersions, imageNaming, imageReference, parseReference, providerTarget, referenceProblem, renderOsPack } from '../../src/core/providerImages.js';
import type { TagRules } from '../../src/core/tagRules.js';

const RULES: TagRules = { tag: 'v4.6.24', k8sVersions: { k3s: ['1.29.0', '1.30.4', '1.31.2'], 'kubeadm-fips': ['1.29.0'] }, ubuntuProFromEnv: false };

// The three ways CanvOS tags have named provider images (v4.4, v4.5–v4.6, v4.7+).
const IN_TARGET = `provider-image:
    FROM +base-image
    ARG K8S_VERSION=1.26.4
    ARG IMAGE_REPO
    ARG IMAGE_PATH=$IMAGE_REGISTRY/$IMAGE_REPO:$K8S_DISTRIBUTION-$K8S_VERSION-$PE_VERSION-$CUSTOM_TAG
`;
const BRANCHED = `provider-image:
    ARG K8S_VERSION=1.26.4
    IF [ "$CUSTOM_TAG" != "" ]
        ARG IMAGE_PATH=$IMAGE_REGISTRY/$IMAGE_REPO:$K8S_DISTRIBUTION-$K8S_VERSION-$PE_VERSION-$CUSTOM_TAG
    ELSE
        ARG IMAGE_PATH=$IMAGE_REGISTRY/$IMAGE_REPO:$K8S_DISTRIBUTION-$K8S_VERSION-$PE_VERSION
    END
`;
const GLOBAL = `VERSION 0.6
IF [ "$CUSTOM_TAG" != "" ]
    ARG IMAGE_TAG=$PE_VERSION-$CUSTOM_TAG
ELSE
    ARG IMAGE_TAG=$PE_VERSION
END

ARG IMAGE_PATH=$IMAGE_REGISTRY/$IMAGE_REPO:$K8S_DISTRIBUTION-$K8S_VERSION-$IMAGE_TAG

provider-image:
    FROM +base-image
    SAVE IMAGE --push $IMAGE_PATH
`;

describe('provider image names from the tag\'s Earthfile', () => {
  const arg = { IMAGE_REGISTRY: 'reg.example.com', IMAGE_REPO: 'edge', K8S_DISTRIBUTION: 'k3s', CUSTOM_TAG: 'lab' };
  test.each([
    ['in the provider-image target', IN_TARGET, arg, 'reg.example.com/edge:k3s-1.30.4-v4.6.24-lab'],
    ['branched on CUSTOM_TAG, set', BRANCHED, arg, 'reg.example.com/edge:k3s-1.30.4-v4.6.24-lab'],
    ['branched on CUSTOM_TAG, empty', BRANCHED, { ...arg, CUSTOM_TAG: '' }, 'reg.example.com/edge:k3s-1.30.4-v4.6.24'],
    ['global IMAGE_TAG, set', GLOBAL, arg, 'reg.example.com/edge:k3s-1.30.4-v4.6.24-lab'],
    ['global IMAGE_TAG, empty', GLOBAL, { ...arg, CUSTOM_TAG: '' }, 'reg.example.com/edge:k3s-1.30.4-v4.6.24'],
    ['IMAGE_REPO unset: $OS_DISTRIBUTION, as .arg.template', IN_TARGET, { ...arg, IMAGE_REPO: '', OS_DISTRIBUTION: 'ubuntu' }, 'reg.example.com/ubuntu:k3s-1.30.4-v4.6.24-lab'],
  ])('%s', (_, earthfile, values, expected) => {
    const naming = imageNaming(earthfile, values);
    expect(naming.source).toBe('Earthfile');
    expect(naming.warning).toBeUndefined();
    expect(imageReference(naming.template, values, 'v4.6.24', '1.30.4')).toBe(expected);
  });

  test.each([
    ['no Earthfile', undefined, 'no Earthfile'],
    ['no IMAGE_PATH', 'provider-image:\n    SAVE IMAGE foo\n', 'defines no IMAGE_PATH'],
    ['an unknown variable', 'ARG IMAGE_PATH=$IMAGE_REGISTRY/$WHATEVER:$K8S_VERSION\n', '$WHATEVER'],
    ['no K8S_VERSION (the v4.3 global name)', 'ARG IMAGE_PATH=$IMAGE_REGISTRY/$IMAGE_REPO:$K8S_DISTRIBUTION-$PE_VERSION\n', 'does not name the Kubernetes version'],
  ])('falls back with a warning: %s', (_, earthfile, why) => {
    const naming = imageNaming(earthfile, { CUSTOM_TAG: 'x' });
    expect(naming).toMatchObject({ source: 'fallback', template: FALLBACK_IMAGE_PATH });
    expect(naming.warning).toContain(why);
  });

  test('IS_UKI=true reads the uki-provider-image target', () => {
    const earthfile = `${IN_TARGET}\nuki-provider-image:\n    ARG IMAGE_PATH=$IMAGE_REGISTRY/$IMAGE_REPO:uki-$K8S_VERSION\n`;
    expect(imageNaming(earthfile, { IS_UKI: 'true' }).template).toBe('$IMAGE_REGISTRY/$IMAGE_REPO:uki-$K8S_VERSION');
  });
});

describe('versions', () => {
  test('default: every version the tag lists, one build', () => {
    expect(chooseVersions([], { K8S_DISTRIBUTION: 'k3s' }, RULES)).toEqual({ versions: ['1.29.0', '1.30.4', '1.31.2'], explicit: false });
  });
  test('--k8s-version wins over K8S_VERSION; duplicates once', () => {
    expect(chooseVersions(['1.31.2', '1.31.2'], { K8S_DISTRIBUTION: 'k3s', K8S_VERSION: '1.29.0' }, RULES)).toEqual({ versions: ['1.31.2'], explicit: true });
    expect(chooseVersions([], { K8S_DISTRIBUTION: 'k3s', K8S_VERSION: '1.29.0' }, RULES)).toEqual({ versions: ['1.29.0'], explicit: true });
  });
  test('a version the tag does not list names the nearest', () => {
    const issue = chooseVersions(['1.30.9'], { K8S_DISTRIBUTION: 'k3s' }, RULES);
    expect(issue).toMatchObject({ error: expect.stringContaining('1.30.9 is not a k3s version CanvOS v4.6.24 builds') });
    expect((issue as { fix: string }).fix).toContain('1.30.4');
  });
  test('no k8s_version.json and no --k8s-version: say to name them', () => {
    expect(chooseVersions([], { K8S_DISTRIBUTION: 'k3s' }, { tag: 'v4.4.5', k8sVersions: undefined, ubuntuProFromEnv: false })).toMatchObject({ fix: expect.stringContaining('--k8s-version') });
  });
  test('kubeadm-fips builds through the FIPS target', () => {
    expect(providerTarget({ K8S_DISTRIBUTION: 'kubeadm-fips' })).toBe('+build-provider-images-fips');
    expect(providerTarget({ K8S_DISTRIBUTION: 'rke2' })).toBe('+build-provider-images');
  });
});

describe('references', () => {
  test.each([
    ['127.0.0.1:5000/edge/p:k3s-1', { registry: '127.0.0.1:5000', repository: 'edge/p', tag: 'k3s-1' }],
    ['ttl.sh/ubuntu:k3s-1.30.4-v4.6.24-demo', { registry: 'ttl.sh', repository: 'ubuntu', tag: 'k3s-1.30.4-v4.6.24-demo' }],
    ['spectro/ubuntu:x', { registry: 'docker.io', repository: 'spectro/ubuntu', tag: 'x' }],
    ['ubuntu', { registry: 'docker.io', repository: 'library/ubuntu', tag: 'latest' }],
    ['localhost/a:b', { registry: 'localhost', repository: 'a', tag: 'b' }],
  ])('%s', (ref, parts) => expect(parseReference(ref)).toEqual(parts));
  test('upper case or spaces are refused', () => {
    expect(referenceProblem('ttl.sh/Ubuntu:x')).toContain('not a valid image name');
    expect(referenceProblem('ttl.sh/ubuntu:a b')).toContain('not a valid image tag');
    expect(referenceProblem('ttl.sh/ubuntu:k3s-1.30.4-v4.6.24-demo')).toBeUndefined();
  });
});

test('os-pack.yaml: the keys earthly.sh prints, filled from the plan, digests as comments, registries stages merged', () => {
  const text = renderOsPack({
    arg: { IMAGE_REGISTRY: 'ttl.sh', IMAGE_REPO: 'edge', K8S_DISTRIBUTION: 'k3s', OS_DISTRIBUTION: 'ubuntu', OS_VERSION: '22.04', CUSTOM_TAG: 'demo' },
    peVersion: 'v4.6.24',
    images: [{ k8sVersion: '1.30.4', reference: 'ttl.sh/edge:k3s-1.30.4-v4.6.24-demo', imageId: 'sha256:1', created: '', digest: 'sha256:abc' }],
    stages: { initramfs: [{ files: [{ path: '/etc/x' }] }] },
  });
  expect(text).toContain('#   ttl.sh/edge:k3s-1.30.4-v4.6.24-demo@sha256:abc');
  const doc = parse(text) as { options: Record<string, string>; stages: unknown };
  expect(Object.keys(doc.options)).toEqual(['system.uri', 'system.registry', 'system.repo', 'system.k8sDistribution', 'system.osName', 'system.peVersion', 'system.customTag', 'system.osVersion']);
  expect(doc.options['system.repo']).toBe('edge');
  expect(doc.stages).toEqual({ initramfs: [{ files: [{ path: '/etc/x' }] }] });
});
