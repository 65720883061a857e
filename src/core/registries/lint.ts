/**
 * Warnings about a registries file: things that are accepted but cannot do
 * what the author meant. `--strict` turns them into exit 2. Pure.
 */
import { endpointHost, mirrorEndpoints } from './endpoints.js';
import { registryCovered, urlsMatchStr } from './matchImages.js';
import type { Distribution, Finding, RegistriesFile } from './types.js';

/** A Palette profile variable or macro such as {{.spectro.var.harborPassword}} or {{ .spectro.macro.x }}. */
const PALETTE_REFERENCE = /^\{\{\s*\.spectro\.[^{}]+\}\}$/;

export function isPaletteReference(value: string): boolean {
  return PALETTE_REFERENCE.test(value.trim());
}

/** Credentials' registries, the default matchImages: each one matches exactly its own registry. */
/** A credentials key written as a kubelet glob (`*.gcr.io`): every host part may be a glob. */
export function isGlobKey(registry: string): boolean {
  return /[*?[]/.test(registry);
}

/** The credentials keys that apply to images of `registry`: its own key and every glob key matching it. */
export function credentialKeysFor(credentials: RegistriesFile['credentials'], registry: string): string[] {
  return Object.keys(credentials ?? {}).filter((key) => key.toLowerCase() === registry.toLowerCase() || (isGlobKey(key) && urlsMatchStr(key.toLowerCase(), registry.toLowerCase())));
}

/** The path of an endpoint URL as K3s sees it; K3s sets override_path itself unless it is "", "/" or "/v2". */
function k3sSetsOverridePath(url: URL): boolean {
  return !['', '/', '/v2', '/v2/'].includes(url.pathname);
}

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
      const parsedUrl = endpoint.parsed;
      if (!pxke && parsedUrl && endpoint.overridePath && !k3sSetsOverridePath(parsedUrl)) {
        findings.push({ code: 'override-path-k3s', message: `overridePath of ${endpoint.url} has no effect on ${distribution}: it sets override_path only for an endpoint path other than /, /v2, and appends /v2 here`, at });
      }
      if (!pxke && parsedUrl && !endpoint.overridePath && k3sSetsOverridePath(parsedUrl)) {
        findings.push({ code: 'override-path-k3s', message: `${distribution} uses the path of ${endpoint.url} as the registry API root (it sets override_path itself, no /v2 appended); write overridePath: true to say so, or drop the path`, at });
      }
      if (!pxke && endpoint.ca.length > 1) {
        findings.push({ code: 'ignored-by-distribution', message: `${distribution}'s registries.yaml takes one ca_file per host; only ${endpoint.ca[0]} is used for ${endpoint.url}`, at });
      }
    });
    if (!pxke && mirror.fallback === false) {
      findings.push({ code: 'ignored-by-distribution', message: `fallback of ${registry} is ignored: ${distribution}'s registries.yaml has no such setting (start ${distribution} with --disable-default-registry-endpoint instead)`, at: ['mirrors', registry, 'fallback'] });
    }
    // K3s/RKE2 leave glob keys out, so only exact ones reach their upstream.
    const keys = registry === '*' ? [] : credentialKeysFor(file.credentials, registry).filter((k) => pxke || !isGlobKey(k));
    // A registry "mirrored" by itself (to set TLS options) has no other upstream to leak to.
    const onlyItself = mirrorEndpoints(mirror).every((e) => !e.parsed || endpointHost(e) === registry.toLowerCase());
    if (keys.length && mirror.fallback !== false && !onlyItself) {
      const fix = pxke ? `set mirrors.${registry}.fallback: false` : `start ${distribution} with --disable-default-registry-endpoint, or key the credentials by the mirror host`;
      findings.push({
        code: 'credentials-reach-upstream',
        message: `the credentials under ${keys.join(', ')} also go to the upstream ${registry} when a pull misses every mirror — ${fix}`,
        at: ['mirrors', registry],
        key: true,
      });
    }
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
    if (!pxke && isGlobKey(registry)) {
      findings.push({ code: 'ignored-by-distribution', message: `credentials for ${registry} are left out: ${distribution}'s registries.yaml keys configs by exact host`, at: ['credentials', registry], key: true });
    }
    const mirrored = pxke ? Object.entries(file.mirrors ?? {}).filter(([upstream, m]) => upstream !== '*' && mirrorEndpoints(m).some((e) => e.parsed && endpointHost(e) === registry.toLowerCase()) && credentialKeysFor(file.credentials, upstream).length === 0) : [];
    for (const [upstream] of mirrored) {
      findings.push({
        code: 'credential-mirror-host',
        message: `pulls of ${upstream} images through the mirror ${registry} do not use these credentials: the kubelet asks for ${upstream}'s — put the mirror's account under ${upstream} too, with fallback: false`,
        at: ['credentials', registry],
        key: true,
      });
    }
    if (pxke && ['index.docker.io', 'registry-1.docker.io'].includes(registry.toLowerCase())) {
      findings.push({ code: 'docker-hub-alias', message: `the kubelet names Docker Hub images docker.io/...; credentials for ${registry} are never asked for — use docker.io`, at: ['credentials', registry], key: true });
    }
  }

  if (pxke && file.containerd?.service === 'spectro-containerd') {
    findings.push({
      code: 'containerd-not-served',
      message:
        'spectro-containerd (socket /run/spectro/containerd/containerd.sock, chosen by the kubeadm provider when the cluster options set spectro-containerd-service-name) does not read /etc/containerd/config.toml or its certs.d: the mirrors written here do not apply to it',
      at: ['containerd', 'service'],
    });
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
