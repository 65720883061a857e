/**
 * K3s and RKE2 registry configuration: both read one registries.yaml at startup
 * (/etc/rancher/k3s/registries.yaml, /etc/rancher/rke2/registries.yaml) and
 * generate containerd's config from it. Format per docs.k3s.io "Private Registry
 * Configuration" and docs.rke2.io "Containerd Registry Configuration":
 * `mirrors.<registry>.endpoint` (list) and `.rewrite` (regex -> replacement),
 * `configs.<host[:port]>.auth.{username,password}` and
 * `configs.<host[:port]>.tls.{ca_file,insecure_skip_verify}`, where a mirror's
 * TLS settings are keyed by the mirror endpoint's host. Pure.
 */
import { stringify } from 'yaml';
import { endpointHost, endpointKey, type Endpoint } from './endpoints.js';
import type { CredentialInput, Distribution } from './types.js';

export function registriesYamlPath(distribution: Exclude<Distribution, 'pxk-e'>): string {
  return `/etc/rancher/${distribution}/registries.yaml`;
}

interface HostConfig {
  auth?: { username: string; password: string };
  tls?: { ca_file?: string; insecure_skip_verify?: boolean };
}

export function registriesYaml(
  mirrors: readonly { registry: string; endpoints: Endpoint[]; rewrite?: Record<string, string> }[],
  credentials: Record<string, CredentialInput>,
): string {
  const mirrorsOut: Record<string, { endpoint: string[]; rewrite?: Record<string, string> }> = {};
  const configs: Record<string, HostConfig> = {};
  for (const mirror of mirrors) {
    mirrorsOut[mirror.registry] = { endpoint: mirror.endpoints.map(endpointKey), ...(mirror.rewrite ? { rewrite: mirror.rewrite } : {}) };
    for (const endpoint of mirror.endpoints) {
      if (!endpoint.ca.length && !endpoint.skipVerify) continue;
      const host = endpointHost(endpoint);
      const tls = (configs[host] ??= {}).tls ?? {};
      // registries.yaml takes one CA file per host; the first one wins (lint warns about the rest).
      if (endpoint.ca[0]) tls.ca_file = endpoint.ca[0];
      if (endpoint.skipVerify) tls.insecure_skip_verify = true;
      configs[host]!.tls = tls;
    }
  }
  for (const [registry, credential] of Object.entries(credentials)) {
    (configs[registry.toLowerCase()] ??= {}).auth = { username: credential.username, password: credential.password };
  }
  const document: Record<string, unknown> = {};
  if (Object.keys(mirrorsOut).length) document.mirrors = mirrorsOut;
  if (Object.keys(configs).length) document.configs = configs;
  // K3s and RKE2 read this file with Go's yaml.v2, i.e. YAML 1.1: written as
  // YAML 1.2, a password `yes` or `0b101` would come out plain and be read as
  // a boolean or a number.
  return `# Written by edgebuild registries. Restart the service after changing it.\n${stringify(document, { singleQuote: true, version: '1.1' })}`;
}
