import { describe, expect, test } from 'vitest';
import { checkArgs } from '../../src/core/argFile.js';
import { checkK8sArgs, checkUbuntuPro, handlesUbuntuProAttach, nearestVersions, parseK8sVersions, ubuntuProSecrets, type TagRules } from '../../src/core/tagRules.js';

// The shape CanvOS's k8s_version.json has on every tag that carries one: distribution → versions.
const V4_9: TagRules = {
  tag: 'v4.9.38',
  k8sVersions: { k3s: ['1.29.14', '1.30.10', '1.31.6'], kubeadm: ['1.30.10', '1.31.6'], canonical: ['1.32.3', '1.32.5', '1.32.6'] },
  ubuntuProFromEnv: false,
};
const OLD: TagRules = { tag: 'v4.4.5', k8sVersions: undefined, k8sVersionsMissing: 'the tag has no k8s_version.json', ubuntuProFromEnv: false };
const V4_10: TagRules = { ...V4_9, tag: 'v4.10.0', ubuntuProFromEnv: true };

describe('K8S_DISTRIBUTION and K8S_VERSION against the tag', () => {
  test('a distribution the tag lists is accepted, one it does not is refused naming the tag and its keys', () => {
    expect(checkK8sArgs({ K8S_DISTRIBUTION: 'canonical' }, V4_9).errors).toEqual([]);
    const [issue] = checkK8sArgs({ K8S_DISTRIBUTION: 'nodeadm' }, V4_9).errors;
    expect(issue?.message).toContain('v4.9.38');
    expect(issue?.fix).toBe('set K8S_DISTRIBUTION to one of k3s, kubeadm, canonical');
  });

  test('K8S_DISTRIBUTION=canonical is no longer refused before the tag is known', () => {
    expect(checkArgs({ K8S_DISTRIBUTION: 'canonical' }).errors).toEqual([]);
  });

  test('a version the distribution lacks is refused with the nearest allowed ones; unset builds them all', () => {
    expect(checkK8sArgs({ K8S_DISTRIBUTION: 'k3s', K8S_VERSION: '1.30.10' }, V4_9).errors).toEqual([]);
    expect(checkK8sArgs({ K8S_DISTRIBUTION: 'k3s' }, V4_9).errors).toEqual([]);
    const [issue] = checkK8sArgs({ K8S_DISTRIBUTION: 'k3s', K8S_VERSION: '9.99.9' }, V4_9).errors;
    expect(issue).toMatchObject({ key: 'K8S_VERSION' });
    expect(issue?.message).toBe('K8S_VERSION=9.99.9 is not a k3s version CanvOS v4.9.38 builds (k8s_version.json)');
    expect(issue?.fix).toContain('1.29.14, 1.30.10, 1.31.6');
    expect(checkK8sArgs({ K8S_DISTRIBUTION: 'canonical', K8S_VERSION: '1.30.10' }, V4_9).errors[0]?.key).toBe('K8S_VERSION');
  });

  test('nearest versions are the closest, shown in the tag’s order', () => {
    expect(nearestVersions('1.32.4', ['1.30.1', '1.31.2', '1.32.3', '1.32.5', '1.34.0'], 3)).toEqual(['1.31.2', '1.32.3', '1.32.5']);
    expect(nearestVersions('1.28.0', ['1.32.3', '1.27.9', '1.28.15', '1.29.1'], 2)).toEqual(['1.27.9', '1.28.15']);
  });

  test('a tag without k8s_version.json falls back to the built-in list, with a warning', () => {
    const ok = checkK8sArgs({ K8S_DISTRIBUTION: 'rke2', K8S_VERSION: '1.0.0' }, OLD);
    expect(ok.errors).toEqual([]);
    expect(ok.warnings[0]).toContain('v4.4.5 has no usable k8s_version.json');
    expect(checkK8sArgs({ K8S_DISTRIBUTION: 'canonical' }, OLD).errors[0]?.key).toBe('K8S_DISTRIBUTION');
  });

  test('k8s_version.json is read as distribution → version strings, anything else is reported', () => {
    expect(parseK8sVersions('{"k3s":["1.30.1"],"canonical":[]}')).toEqual({ versions: { k3s: ['1.30.1'], canonical: [] } });
    expect(parseK8sVersions('[1]')).toEqual({ error: 'it is not an object of distribution → versions' });
    expect(parseK8sVersions('{"k3s":[1.3]}')).toEqual({ error: 'its "k3s" is not a list of version strings' });
    expect('error' in parseK8sVersions('{')).toBe(true);
  });
});

describe('Ubuntu Pro', () => {
  test('detected from the script text, not from the version, and not from a comment', () => {
    expect(handlesUbuntuProAttach('if [ "${UBUNTU_PRO_ATTACH:-false}" = "true" ]; then\n')).toBe(true);
    expect(handlesUbuntuProAttach('# UBUNTU_PRO_ATTACH is not handled here\nsource .arg\n')).toBe(false);
    expect(handlesUbuntuProAttach(undefined)).toBe(false);
  });

  test('on a tag that takes the key from the environment: key required with ATTACH=true, refused in .arg', () => {
    expect(checkUbuntuPro({ UBUNTU_PRO_ATTACH: 'true' }, V4_10, {})[0]?.message).toContain('UBUNTU_PRO_KEY is not set in the environment');
    expect(checkUbuntuPro({ UBUNTU_PRO_ATTACH: 'true' }, V4_10, { UBUNTU_PRO_KEY: 'k' })).toEqual([]);
    expect(checkUbuntuPro({ UBUNTU_PRO_ATTACH: 'false' }, V4_10, {})).toEqual([]);
    expect(checkUbuntuPro({ UBUNTU_PRO_KEY: 'k' }, V4_10, { UBUNTU_PRO_KEY: 'k' })[0]?.key).toBe('UBUNTU_PRO_KEY');
  });

  test('older tags keep reading the key from .arg; it is a secret either way', () => {
    expect(checkUbuntuPro({ UBUNTU_PRO_KEY: 'k', UBUNTU_PRO_ATTACH: 'true' }, V4_9, {})).toEqual([]);
    expect(ubuntuProSecrets({ UBUNTU_PRO_KEY: 'from-arg' }, { UBUNTU_PRO_KEY: 'from-env' })).toEqual(['from-arg', 'from-env']);
    expect(checkArgs({ UBUNTU_PRO_KEY: 'k', UBUNTU_PRO_ATTACH: 'true' }).warnings).toEqual([]);
  });
});
