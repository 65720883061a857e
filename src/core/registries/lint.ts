/**
 * Warnings about a registries file: things that are accepted but cannot do
 * what the author meant. `--strict` turns them into exit 2. Pure.
 */
import { mirrorEndpoints } from './endpoints.js';
import { registryCovered } from './matchImages.js';
import type { Distribution, Finding, RegistriesFile } from './types.js';

/** A Palette profile variable or macro such as {{.spectro.var.harborPassword}} or {{ .spectro.macro.x }}. */
const PALETTE_REFERENCE = /^\{\{\s*\.spectro\.[^{}]+\}\}$/;

export function isPaletteReference(value: string): boolean {
  return PALETTE_REFERENCE.test(value.trim());
}

/** Credentials' registries, the default matchImages: each one matches exactly its own registry. */
export function effectiveMatchImages(file: RegistriesFile): string[] {
  return file.credentialProvider?.matchImages ?? Object.keys(file.credentials ?? {}).map((r) => r.toLowerCase());
}

export function lintRegistries(file: RegistriesFile, distribution: Distribution): Finding[] {
  const findings: Finding[] = [];
  const pxke = distribution === 'pxk-e';

  for (const [registry, mirror] of Object.entries(file.mirrors ?? {})) {
    if (['index.docker.io', 'registry-1.docker.io'].includes(registry.toLowerCase())) {
      findings.push({ code: 'docker-hub-alias', message: `Docker Hub images are named docker.io/...; a mirror for ${registry} is never used — use docker.io`, at: ['mirrors', registry], key: true });
    }
    if (mirror.endpoints.length === 0) {
      findings.push({ code: 'mirror-no-endpoints', message: `mirror ${registry} has no endpoints and is left out`, at: ['mirrors', registry, 'endpoints'] });
    }
    mirrorEndpoints(mirror).forEach((endpoint, i) => {
      const at = ['mirrors', registry, 'endpoints', i];
      if (endpoint.problem) {
        findings.push({ code: 'endpoint-invalid-url', message: `endpoint "${endpoint.url}" of ${registry} ${endpoint.problem}; it is left out`, at });
        return;
      }
      if (!pxke && endpoint.capabilities) {
        findings.push({ code: 'ignored-by-distribution', message: `capabilities of ${endpoint.url} are ignored: ${distribution}'s registries.yaml has no such setting`, at });
      }
      if (!pxke && endpoint.overridePath) {
        findings.push({ code: 'ignored-by-distribution', message: `overridePath of ${endpoint.url} is ignored: ${distribution}'s registries.yaml has no such setting`, at });
      }
      if (!pxke && endpoint.ca.length > 1) {
        findings.push({ code: 'ignored-by-distribution', message: `${distribution}'s registries.yaml takes one ca_file per host; only ${endpoint.ca[0]} is used for ${endpoint.url}`, at });
      }
    });
    if (pxke && mirror.rewrite) {
      findings.push({ code: 'ignored-by-distribution', message: `rewrite of ${registry} is ignored: containerd hosts.toml has no rewrites (K3s/RKE2 only)`, at: ['mirrors', registry, 'rewrite'] });
    }
  }

  const matchImages = effectiveMatchImages(file);
  for (const [registry, credential] of Object.entries(file.credentials ?? {})) {
    if (!isPaletteReference(credential.password)) {
      findings.push({
        code: 'password-literal',
        message: `the password for ${registry} is a literal; it would be stored in plain text in the cluster profile — use a profile variable or macro such as '{{.spectro.var.${variableName(registry)}}}'`,
        at: ['credentials', registry, 'password'],
      });
    }
    if (pxke && !registryCovered(matchImages, registry.toLowerCase())) {
      findings.push({
        code: 'credential-unmatched',
        message: `credentials for ${registry} are never used: no credentialProvider.matchImages pattern matches ${registry} under the kubelet's rules (each host part is a glob, the port must match) — add "${registry.toLowerCase()}"`,
        at: ['credentials', registry],
        key: true,
      });
    }
    if (pxke && ['index.docker.io', 'registry-1.docker.io'].includes(registry.toLowerCase())) {
      findings.push({ code: 'docker-hub-alias', message: `the kubelet names Docker Hub images docker.io/...; credentials for ${registry} are never asked for — use docker.io`, at: ['credentials', registry], key: true });
    }
  }

  if (!pxke) {
    for (const key of ['credentialProvider', 'containerd', 'kubernetesVersion'] as const) {
      if (file[key] !== undefined) {
        findings.push({ code: 'ignored-by-distribution', message: `${key} is ignored for ${distribution}: it reads registry auth from its registries.yaml`, at: [key] });
      }
    }
  }
  return findings;
}

function variableName(registry: string): string {
  const words = registry.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return `${words.map((w, i) => (i === 0 ? w.toLowerCase() : w[0]!.toUpperCase() + w.slice(1).toLowerCase())).join('')}Password`;
}
