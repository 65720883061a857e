/**
 * PXK-E (kubeadm + containerd) registry files: the containerd config.toml that
 * points the CRI registry at a hosts directory, and one hosts.toml per mirrored
 * registry. Field names follow containerd's docs/hosts.md and
 * core/remotes/docker/config/hosts.go (`server`, `[host."<url>"]`,
 * `capabilities`, `ca`, `skip_verify`, `override_path`). Pure.
 */
import { MIRROR_CAPABILITIES, endpointKey, type Endpoint } from './endpoints.js';
import { tomlString, tomlStrings } from './toml.js';

export const DEFAULT_SANDBOX_IMAGE = 'registry.k8s.io/pause:3.9';
export const DEFAULT_HOSTS_DIR = '/etc/containerd/certs.d';

/**
 * containerd's own config. It replaces the node's /etc/containerd/config.toml,
 * so it carries the CRI settings the vendor's PXK-E config has (sandbox image,
 * unprivileged ports/ICMP, runc with the systemd cgroup driver) plus the two
 * lines this is for: `imports` of conf.d drop-ins and the registry
 * `config_path`. `version = 2` is the containerd 1.x schema; containerd 2.x
 * still reads it and migrates it (docs/hosts.md shows both forms).
 */
export function containerdConfigToml(options: { sandboxImage: string; hostsDir: string }): string {
  return [
    '# Written by edgebuild registries. Replaces the node\'s containerd config.',
    'version = 2',
    `imports = ${tomlStrings(['/etc/containerd/conf.d/*.toml'])}`,
    '',
    '[plugins]',
    '  [plugins."io.containerd.grpc.v1.cri"]',
    `    sandbox_image = ${tomlString(options.sandboxImage)}`,
    '    enable_unprivileged_ports = true',
    '    enable_unprivileged_icmp = true',
    '    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]',
    '      runtime_type = "io.containerd.runc.v2"',
    '      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]',
    '        SystemdCgroup = true',
    '    [plugins."io.containerd.grpc.v1.cri".registry]',
    `      config_path = ${tomlString(options.hostsDir)}`,
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

/**
 * The upstream `server`. Docker Hub images are named docker.io/..., but its API
 * is at registry-1.docker.io: containerd maps docker.io to it only when
 * `server` is absent (hosts.go), so an explicit "https://docker.io" would break
 * the fallback to the upstream.
 */
export function upstreamServer(registry: string): string | undefined {
  if (registry === '*') return undefined; // _default: containerd falls back to the image's own registry
  if (registry === 'docker.io') return 'https://registry-1.docker.io';
  return `https://${registry}`;
}

export function hostsToml(registry: string, endpoints: readonly Endpoint[]): string {
  const lines = [`# Written by edgebuild registries: mirrors for ${registry === '*' ? 'every registry without its own entry' : registry}, tried in order before the upstream.`];
  const server = upstreamServer(registry);
  if (server) lines.push(`server = ${tomlString(server)}`);
  for (const endpoint of endpoints) {
    lines.push('', `[host.${tomlString(endpointKey(endpoint))}]`);
    lines.push(`  capabilities = ${tomlStrings(endpoint.capabilities ?? MIRROR_CAPABILITIES)}`);
    if (endpoint.ca.length === 1) lines.push(`  ca = ${tomlString(endpoint.ca[0]!)}`);
    else if (endpoint.ca.length > 1) lines.push(`  ca = ${tomlStrings(endpoint.ca)}`);
    if (endpoint.skipVerify) lines.push('  skip_verify = true');
    if (endpoint.overridePath) lines.push('  override_path = true');
  }
  lines.push('');
  return lines.join('\n');
}
