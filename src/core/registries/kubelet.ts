/**
 * PXK-E credentials: the kubelet's CredentialProviderConfig, the per-registry
 * credentials files our provider reads, and the kubelet flags that enable it
 * through kubeadm's nodeRegistration.kubeletExtraArgs. Pure.
 */
import { stringify } from 'yaml';

export const PROVIDER_DEFAULTS = {
  name: 'edgebuild-credential-provider',
  binDir: '/usr/local/bin',
  configPath: '/etc/kubernetes/credential-provider/config.json',
  credentialsDir: '/etc/kubernetes/registries',
  defaultCacheDuration: '5m',
} as const;

export interface ProviderSettings {
  name: string;
  binDir: string;
  configPath: string;
  credentialsDir: string;
  matchImages: string[];
  defaultCacheDuration: string;
}

/**
 * kubelet.config.k8s.io/v1 CredentialProviderConfig (GA since Kubernetes 1.26).
 * The kubelet decodes it strictly and exits at startup when it is invalid or the
 * executable is missing (pkg/credentialprovider/plugin): group and kind are
 * case-sensitive, `matchImages` must be non-empty, `defaultCacheDuration` is
 * required, and `apiVersion` names the exec protocol version
 * (credentialprovider.kubelet.k8s.io/v1), which our provider answers in.
 */
export function credentialProviderConfig(settings: ProviderSettings): string {
  const config = {
    apiVersion: 'kubelet.config.k8s.io/v1',
    kind: 'CredentialProviderConfig',
    providers: [
      {
        name: settings.name,
        matchImages: settings.matchImages,
        defaultCacheDuration: settings.defaultCacheDuration,
        apiVersion: 'credentialprovider.kubelet.k8s.io/v1',
        args: ['--credentials-dir', settings.credentialsDir, '--cache-duration', settings.defaultCacheDuration],
      },
    ],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** The file our provider reads for `registry`: <dir>/<host[:port]>.json. */
export function credentialsFilePath(dir: string, registry: string): string {
  return `${dir.replace(/\/+$/, '')}/${registry.toLowerCase()}.json`;
}

/**
 * The credentials file. Palette substitutes `{{.spectro.var.x}}` in the
 * profile text, so the value lands inside this JSON string verbatim.
 */
export function credentialsFile(username: string, password: string): string {
  return `${JSON.stringify({ username, password }, null, 2)}\n`;
}

export type KubeadmApi = 'v1beta3' | 'v1beta4';

/**
 * Which kubeadm config API PXK-E decodes `cluster.config` with. Palette's edge
 * kubeadm provider (kairos-io/provider-kubeadm main.go, clusterProvider) picks
 * v1beta3 types when the Kubernetes version is below 1.31 and v1beta4 types from
 * 1.31 on, and ignores decoding errors: a kubeletExtraArgs map under 1.31+ (or a
 * list under 1.30) is silently dropped.
 */
export function kubeadmApiFor(kubernetesVersion: string): KubeadmApi {
  const [major, minor] = kubernetesVersion.replace(/^v/, '').split(/[.+-]/).map(Number);
  return major! > 1 || (major === 1 && minor! >= 31) ? 'v1beta4' : 'v1beta3';
}

/** CredentialProviderConfig v1 exists from Kubernetes 1.26. */
export function supportsCredentialProviderV1(kubernetesVersion: string): boolean {
  const [major, minor] = kubernetesVersion.replace(/^v/, '').split(/[.+-]/).map(Number);
  return major! > 1 || (major === 1 && minor! >= 26);
}

export function kubeletFlags(settings: Pick<ProviderSettings, 'binDir' | 'configPath'>): [string, string][] {
  return [
    ['image-credential-provider-bin-dir', settings.binDir],
    ['image-credential-provider-config', settings.configPath],
  ];
}

/**
 * The part of the Kubernetes layer's `cluster.config` that enables the
 * provider, for both the first node (initConfiguration) and joining nodes
 * (joinConfiguration). v1beta3 NodeRegistrationOptions.kubeletExtraArgs is a
 * map; v1beta4 made it a list of {name, value} (json tag "kubeletExtraArgs" in
 * both; the key is lowerCamelCase).
 */
export function kubeadmConfigFragment(api: KubeadmApi, flags: readonly [string, string][]): string {
  const args = api === 'v1beta3' ? Object.fromEntries(flags) : flags.map(([name, value]) => ({ name, value }));
  const fragment = {
    initConfiguration: { nodeRegistration: { kubeletExtraArgs: args } },
    joinConfiguration: { nodeRegistration: { kubeletExtraArgs: args } },
  };
  return stringify(fragment, { aliasDuplicateObjects: false });
}
