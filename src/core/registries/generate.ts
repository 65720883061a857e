/**
 * From a parsed registries file to the cluster profile snippets: yip stages and,
 * for PXK-E, the kubeadm kubeletExtraArgs. Everything is computed in memory; the
 * command decides where it goes. Pure.
 */
import { inputErrorAt } from '../../errors.js';
import { DEFAULT_HOSTS_DIR, DEFAULT_SANDBOX_IMAGE, containerdConfigToml, hostsDirName, hostsToml } from './containerd.js';
import { mirrorEndpoints, type Endpoint } from './endpoints.js';
import { registriesYaml, registriesYamlPath } from './k3s.js';
import {
  PROVIDER_DEFAULTS,
  credentialProviderConfig,
  credentialsFile,
  credentialsFilePath,
  kubeadmApiFor,
  kubeadmConfigFragment,
  kubeletFlags,
  supportsCredentialProviderV1,
  type KubeadmApi,
  type ProviderSettings,
} from './kubelet.js';
import { BadUrlError, parseSchemelessUrl } from './matchImages.js';
import { effectiveMatchImages, isPaletteReference, lintRegistries } from './lint.js';
import type { ParsedRegistries } from './parse.js';
import { renderStages } from './stages.js';
import type { Distribution, Finding, StageName, StageStep } from './types.js';

export interface GenerateOptions {
  /** --distro, which wins over the file's `distribution`. */
  distribution?: Distribution | undefined;
  /** The credential provider executable's text (assets/edgebuild-credential-provider.py). */
  providerScript: string;
}

export interface GeneratedFileInfo {
  stage: StageName;
  path: string;
  permissions: number;
  /** The file holds credentials (or the macros that Palette replaces with them). */
  secret: boolean;
}

export interface Generated {
  distribution: Distribution;
  /** PXK-E with credentials: the kubeadm API the kubeletExtraArgs are written for. */
  kubeadmApi: KubeadmApi | undefined;
  stages: Partial<Record<StageName, StageStep[]>>;
  /** The `stages:` document to paste into the cluster profile. */
  stagesYaml: string;
  /** PXK-E with credentials: the part to merge into the Kubernetes layer's cluster.config. */
  kubeadmConfig: string | undefined;
  files: GeneratedFileInfo[];
  findings: Finding[];
  /** Literal passwords, to keep out of JSON output and logs. */
  secrets: string[];
}

const ROOT = { owner: 0, group: 0 };

export function generateRegistries(parsed: ParsedRegistries, options: GenerateOptions): Generated {
  const { data, locate } = parsed;
  const distribution = options.distribution ?? data.distribution;
  if (!distribution) {
    throw inputErrorAt(locate([]), 'no distribution given', { code: 'registries-distribution', fix: 'add "distribution: pxk-e" (or k3s, rke2) to the file or pass --distro' });
  }
  const credentials = data.credentials ?? {};
  const hasCredentials = Object.keys(credentials).length > 0;
  const mirrors = Object.entries(data.mirrors ?? {}).map(([registry, mirror]) => ({
    registry,
    rewrite: mirror.rewrite,
    // Invalid URLs are left out (lint says so): containerd would reject the whole hosts.toml.
    endpoints: mirrorEndpoints(mirror).filter((e): e is Endpoint & { parsed: URL } => e.parsed !== undefined),
  }));
  const usableMirrors = mirrors.filter((m) => m.endpoints.length > 0);
  if (usableMirrors.length === 0 && !hasCredentials) {
    throw inputErrorAt(locate([]), 'nothing to generate: no mirror with a valid endpoint and no credentials', {
      code: 'registries-empty',
      fix: 'add mirrors: or credentials: (see build-configs/registries.yaml)',
    });
  }
  const findings = lintRegistries(data, distribution);
  const secrets = Object.values(credentials)
    .map((c) => c.password)
    .filter((p) => !isPaletteReference(p));

  const stages: Partial<Record<StageName, StageStep[]>> = {};
  const add = (stage: StageName, step: StageStep): void => {
    (stages[stage] ??= []).push(step);
  };
  let kubeadmApi: KubeadmApi | undefined;
  let kubeadmConfig: string | undefined;

  if (distribution === 'pxk-e') {
    const hostsDir = data.containerd?.configPath ?? DEFAULT_HOSTS_DIR;
    // initramfs: containerd reads config.toml only when it starts; writing it before then needs no restart.
    add('initramfs', {
      name: 'edgebuild: containerd reads registry hosts from ' + hostsDir,
      files: [{ path: '/etc/containerd/config.toml', permissions: 0o644, ...ROOT, content: containerdConfigToml({ sandboxImage: data.containerd?.sandboxImage ?? DEFAULT_SANDBOX_IMAGE, hostsDir }) }],
    });
    if (usableMirrors.length) {
      // reconcile: containerd rereads hosts.toml on every pull, so updates apply without a restart.
      add('reconcile', {
        name: 'edgebuild: registry mirrors',
        files: usableMirrors.map((m) => ({ path: `${hostsDir}/${hostsDirName(m.registry)}/hosts.toml`, permissions: 0o644, ...ROOT, content: hostsToml(m.registry, m.endpoints) })),
      });
    }
    if (hasCredentials) {
      const version = data.kubernetesVersion;
      if (!version) {
        throw inputErrorAt(locate(['credentials'], true), 'kubernetesVersion is required for pxk-e credentials', {
          code: 'registries-k8s-version',
          fix: 'add kubernetesVersion: "1.30.5" (the version of the profile\'s Kubernetes layer): kubeletExtraArgs is a map before 1.31 and a list from 1.31',
        });
      }
      if (!supportsCredentialProviderV1(version)) {
        throw inputErrorAt(locate(['kubernetesVersion']), `Kubernetes ${version} has no kubelet.config.k8s.io/v1 CredentialProviderConfig`, {
          code: 'registries-k8s-version',
          fix: 'use Kubernetes 1.26 or newer',
        });
      }
      const settings = providerSettings(parsed);
      // initramfs: the kubelet exits at startup when its provider config or executable is missing,
      // so both must be on disk before kubeadm starts it.
      add('initramfs', {
        name: 'edgebuild: kubelet image credential provider',
        files: [
          { path: `${settings.binDir}/${settings.name}`, permissions: 0o755, ...ROOT, content: options.providerScript },
          { path: settings.configPath, permissions: 0o644, ...ROOT, content: credentialProviderConfig(settings) },
        ],
      });
      // reconcile: the provider reads these on every request, so rotated credentials apply without a restart.
      add('reconcile', {
        name: 'edgebuild: registry credentials',
        files: Object.entries(credentials).map(([registry, c]) => ({
          path: credentialsFilePath(settings.credentialsDir, registry),
          permissions: 0o600,
          ...ROOT,
          content: credentialsFile(c.username, c.password),
          secret: true,
        })),
      });
      kubeadmApi = kubeadmApiFor(version);
      kubeadmConfig =
        `# Generated by edgebuild registries. Merge into the Kubernetes layer's cluster.config (kubeadm ${kubeadmApi}, Kubernetes ${version}),\n` +
        '# keeping the kubeletExtraArgs already there.\n' +
        kubeadmConfigFragment(kubeadmApi, kubeletFlags(settings));
    }
  } else {
    // K3s/RKE2 read registries.yaml only at startup: write it before the service starts.
    add('initramfs', {
      name: `edgebuild: ${distribution} registries`,
      files: [{ path: registriesYamlPath(distribution), permissions: 0o600, ...ROOT, content: registriesYaml(usableMirrors, credentials), secret: hasCredentials }],
    });
  }

  const files: GeneratedFileInfo[] = [];
  for (const [stage, steps] of Object.entries(stages) as [StageName, StageStep[]][]) {
    for (const step of steps) {
      for (const f of step.files) files.push({ stage, path: f.path, permissions: f.permissions, secret: f.secret ?? false });
    }
  }
  const header = ` Generated by edgebuild registries for ${distribution}. Paste under the ${distribution === 'pxk-e' ? 'Kubernetes' : 'OS or Kubernetes'} layer of the cluster profile.`;
  return { distribution, kubeadmApi, stages, stagesYaml: renderStages(stages, header), kubeadmConfig, files, findings, secrets };
}

function providerSettings(parsed: ParsedRegistries): ProviderSettings {
  const provider = parsed.data.credentialProvider ?? {};
  const matchImages = effectiveMatchImages(parsed.data);
  matchImages.forEach((pattern, i) => {
    try {
      parseSchemelessUrl(pattern);
    } catch (error) {
      if (!(error instanceof BadUrlError)) throw error;
      // The kubelet validates matchImages at startup and exits on an invalid one.
      throw inputErrorAt(parsed.locate(['credentialProvider', 'matchImages', i]), `matchImages entry "${pattern}" is invalid: ${error.message}`, {
        code: 'registries-match-images',
        fix: 'write it as host[:port][/path], e.g. *.company.local or registry.local:5000',
      });
    }
  });
  return {
    name: provider.name ?? PROVIDER_DEFAULTS.name,
    binDir: provider.binDir ?? PROVIDER_DEFAULTS.binDir,
    configPath: provider.configPath ?? PROVIDER_DEFAULTS.configPath,
    credentialsDir: provider.credentialsDir ?? PROVIDER_DEFAULTS.credentialsDir,
    matchImages,
    defaultCacheDuration: provider.defaultCacheDuration ?? PROVIDER_DEFAULTS.defaultCacheDuration,
  };
}
