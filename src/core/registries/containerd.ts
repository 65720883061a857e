/**
 * PXK-E (kubeadm + containerd) registry files: the containerd config.toml that
 * points the CRI registry at a hosts directory, and one hosts.toml per mirrored
 * registry. Field names follow containerd's docs/hosts.md and
 * core/remotes/docker/config/hosts.go (`server`, `[host."<url>"]`,
 * `capabilities`, `ca`, `skip_verify`, `override_path`). Pure.
 */
import { MIRROR_CAPABILITIES, endpointKey, type Endpoint } from './endpoints.js';
import { tomlString, tomlStrings } from './toml.js';

export const DEFAULT_HOSTS_DIR = '/etc/containerd/certs.d';

/**
 * The settings of the containerd.toml that the released kubeadm provider image
 * ships (kairos-io/provider-kubeadm containerd/config.toml, the same file in
 * every tag up to v4.10.0): its Earthfile unpacks containerd under /opt and
 * installs runc only as /opt/bin/runc, and the node's images live under
 * /opt/containerd. Dropping `root` or `BinaryName` would move containerd away
 * from the node's images and leave it without runc. On a node,
 * `containerd config dump` shows the values in force.
 */
export const PROVIDER_CONTAINERD = {
  root: '/opt/containerd',
  runcBinary: '/opt/bin/runc',
  sandboxImage: 'k8s.gcr.io/pause:3.6',
  systemdCgroup: true,
} as const;

export interface ContainerdSettings {
  root: string;
  runcBinary: string;
  sandboxImage: string;
  systemdCgroup: boolean;
  hostsDir: string;
}

/**
 * containerd's own config. It replaces the node's /etc/containerd/config.toml
 * (a conf.d drop-in cannot add `config_path`: containerd replaces a whole
 * plugin section on import, which would wipe the CRI settings), so it is the
 * provider's file with the one line this is for: the registry `config_path`.
 * `version = 2` is the containerd 1.x schema; containerd 2.x still reads it.
 */
export function containerdConfigToml(settings: ContainerdSettings): string {
  return [
    '# Written by edgebuild registries. Replaces the node\'s /etc/containerd/config.toml (the containerd',
    '# service, socket /run/containerd/containerd.sock): the kubeadm provider\'s settings plus config_path.',
    'version = 2',
    `root = ${tomlString(settings.root)}`,
    `imports = ${tomlStrings(['/etc/containerd/conf.d/*.toml'])}`,
    '',
    '[plugins]',
    '  [plugins."io.containerd.grpc.v1.cri"]',
    `    sandbox_image = ${tomlString(settings.sandboxImage)}`,
    '    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]',
    '      runtime_type = "io.containerd.runc.v2"',
    '      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]',
    `        BinaryName = ${tomlString(settings.runcBinary)}`,
    `        SystemdCgroup = ${settings.systemdCgroup}`,
    '    [plugins."io.containerd.grpc.v1.cri".registry]',
    `      config_path = ${tomlString(settings.hostsDir)}`,
    '',
  ].join('\n');
}

/**
 * The directory containerd reads for a registry: `<host[:port]>`, or
 * `_default` for every registry without its own directory ("*" here).
 */
export function hostsDirName(registry: string): string {
  return registry === '*' ? '_default' : registry;
}

/** containerd's docker.IsLocalhost: such a registry is spoken to over plain http by default. */
export function isLocalhostRegistry(registry: string): boolean {
  const host = registry.replace(/:[0-9]+$/, '').toLowerCase();
  return host === 'localhost' || /^127\.[0-9]+\.[0-9]+\.[0-9]+$/.test(host);
}

/**
 * The upstream `server`. Docker Hub images are named docker.io/..., but its API
 * is at registry-1.docker.io: containerd maps docker.io to it only when
 * `server` is absent (hosts.go), so an explicit "https://docker.io" would break
 * the fallback to the upstream. A localhost registry keeps containerd's default
 * scheme for it, http.
 */
export function upstreamServer(registry: string): string | undefined {
  if (registry === '*') return undefined; // _default: containerd falls back to the image's own registry
  if (registry === 'docker.io') return 'https://registry-1.docker.io';
  return `${isLocalhostRegistry(registry) ? 'http' : 'https'}://${registry}`;
}

/** The settings of one host: under `[host."<url>"]`, or at the top level for the `server`. */
function hostSettings(endpoint: Endpoint, indent: string): string[] {
  const lines = [`${indent}capabilities = ${tomlStrings(endpoint.capabilities ?? MIRROR_CAPABILITIES)}`];
  const [onlyCa] = endpoint.ca;
  if (endpoint.ca.length > 1) lines.push(`${indent}ca = ${tomlStrings(endpoint.ca)}`);
  else if (onlyCa !== undefined) lines.push(`${indent}ca = ${tomlString(onlyCa)}`);
  if (endpoint.skipVerify) lines.push(`${indent}skip_verify = true`);
  if (endpoint.overridePath) lines.push(`${indent}override_path = true`);
  return lines;
}

/**
 * containerd tries the `[host]` entries in file order, then `server`. With
 * `fallback: false` the last mirror is also the `server` (its settings at the
 * top level, hosts.go parseHostsFile), so no request ever reaches the
 * upstream — nor the credentials the kubelet hands over for the image's
 * registry. It stays a `[host]` too: containerd 1.6 rejects a hosts.toml
 * without a `host` table ("invalid `host` tree") and then ignores the whole
 * file, upstream included — seen in test/integration/containerdRegistries.test.ts.
 */
export function hostsToml(registry: string, endpoints: readonly Endpoint[], fallback: boolean): string {
  const what = registry === '*' ? 'every registry without its own entry' : registry;
  const last = endpoints[endpoints.length - 1];
  const asServer = !fallback && last !== undefined ? last : undefined;
  const lines = [`# Written by edgebuild registries: mirrors for ${what}, tried in order${asServer ? '; never the upstream (fallback: false).' : ' before the upstream.'}`];
  if (asServer) lines.push(`server = ${tomlString(endpointKey(asServer))}`, ...hostSettings(asServer, ''));
  else {
    const server = upstreamServer(registry);
    if (server) lines.push(`server = ${tomlString(server)}`);
  }
  for (const endpoint of endpoints) lines.push('', `[host.${tomlString(endpointKey(endpoint))}]`, ...hostSettings(endpoint, '  '));
  lines.push('');
  return lines.join('\n');
}
