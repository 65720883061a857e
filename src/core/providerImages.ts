/**
 * Provider images (issue 14): which target builds them, for which Kubernetes
 * versions, under which references (read from the tag's own Earthfile), and
 * the OS layer values a user pastes into a Palette cluster profile. Pure.
 */
import { stringify } from 'yaml';
import type { ArgValues } from './argFile.js';
import { sha256 } from './digest.js';
import { nearestVersions, type TagRules } from './tagRules.js';

export const PROVIDER_TARGET = '+build-provider-images';
export const PROVIDER_FIPS_TARGET = '+build-provider-images-fips';

/** kubeadm-fips builds through the FIPS target, as CanvOS documents. */
export function providerTarget(arg: ArgValues): string {
  return arg.K8S_DISTRIBUTION === 'kubeadm-fips' ? PROVIDER_FIPS_TARGET : PROVIDER_TARGET;
}

export interface VersionChoice {
  versions: string[];
  /** Named by --k8s-version or K8S_VERSION: one build per version; else the Earthfile's own loop builds them all. */
  explicit: boolean;
}

export type VersionIssue = { error: string; fix: string };

/**
 * --k8s-version (each one checked against k8s_version.json), else K8S_VERSION
 * from .arg, else every version the tag lists for K8S_DISTRIBUTION.
 */
export function chooseVersions(requested: readonly string[], arg: ArgValues, rules: TagRules): VersionChoice | VersionIssue {
  const distribution = arg.K8S_DISTRIBUTION ?? '';
  const listed = rules.k8sVersions?.[distribution];
  const listing = `edgebuild versions --tag ${rules.tag} lists them`;
  const named = requested.length > 0 ? [...new Set(requested)] : arg.K8S_VERSION ? [arg.K8S_VERSION] : [];
  if (named.length > 0) {
    if (!listed) return { versions: named, explicit: true }; // no k8s_version.json: tagRules warned already
    const unknown = named.find((v) => !listed.includes(v));
    if (unknown !== undefined) {
      return { error: `--k8s-version ${unknown} is not a ${distribution} version CanvOS ${rules.tag} builds (k8s_version.json)`, fix: `use one of the nearest, ${nearestVersions(unknown, listed).join(', ')}; ${listing}` };
    }
    return { versions: named, explicit: true };
  }
  if (!listed || listed.length === 0) {
    return { error: `CanvOS ${rules.tag} lists no ${distribution} versions (${rules.k8sVersionsMissing ?? 'k8s_version.json has none'})`, fix: 'name the versions with --k8s-version <v> (repeatable)' };
  }
  return { versions: [...listed], explicit: false };
}

/** The rule of current CanvOS tags, used when the Earthfile's own cannot be read. */
export const FALLBACK_IMAGE_PATH = '$IMAGE_REGISTRY/$IMAGE_REPO:$K8S_DISTRIBUTION-$K8S_VERSION-$PE_VERSION-$CUSTOM_TAG';

interface Definition {
  name: string;
  value: string;
  /** The Earthfile target it is in; undefined at the top level. */
  target: string | undefined;
  /** Inside an `IF … "$CUSTOM_TAG" …` branch: true in the branch taken when CUSTOM_TAG is set. */
  whenCustomTag: boolean | undefined;
}

/** `ARG NAME=value` lines, with their target and CUSTOM_TAG branch. */
function argDefinitions(earthfile: string): Definition[] {
  const found: Definition[] = [];
  let target: string | undefined;
  const branches: (boolean | undefined)[] = [];
  for (const raw of earthfile.split('\n')) {
    const line = raw.replace(/\s+#.*$/, '');
    const head = /^([A-Za-z0-9][A-Za-z0-9_-]*):\s*$/.exec(line);
    if (head) {
      target = head[1];
      branches.length = 0;
      continue;
    }
    const text = line.trim();
    const ifLine = /^IF\s+(.*)$/.exec(text);
    if (ifLine) {
      const cond = ifLine[1] ?? '';
      const custom = /\$\{?CUSTOM_TAG\}?"?\s*(!=|=)\s*""/.exec(cond);
      branches.push(custom ? custom[1] === '!=' : undefined);
      continue;
    }
    if (/^ELSE\b/.test(text)) {
      const top = branches.pop();
      branches.push(top === undefined ? undefined : !top);
      continue;
    }
    if (/^END\b/.test(text)) {
      branches.pop();
      continue;
    }
    const arg = /^ARG\s+(?:--global\s+)?(IMAGE_PATH|IMAGE_TAG)=(\S+)$/.exec(text);
    if (arg) found.push({ name: arg[1] ?? '', value: arg[2] ?? '', target, whenCustomTag: branches.findLast((b) => b !== undefined) });
  }
  return found;
}

function pick(definitions: Definition[], name: string, target: string, customTag: boolean): Definition | undefined {
  const fits = (d: Definition): boolean => d.name === name && (d.whenCustomTag === undefined || d.whenCustomTag === customTag);
  return definitions.find((d) => fits(d) && d.target === target) ?? definitions.find((d) => fits(d) && d.target === undefined);
}

const VARIABLES = new Set(['IMAGE_REGISTRY', 'IMAGE_REPO', 'K8S_DISTRIBUTION', 'K8S_VERSION', 'PE_VERSION', 'CUSTOM_TAG', 'IMAGE_TAG']);

export interface ImageNaming {
  /** `$IMAGE_REGISTRY/…` with IMAGE_TAG already substituted. */
  template: string;
  source: 'Earthfile' | 'fallback';
  warning?: string;
}

/**
 * The IMAGE_PATH the tag's `provider-image` (or `uki-provider-image`) target
 * saves its image under, read from the Earthfile; the fallback rule with a
 * warning when the Earthfile does not define one edgebuild can read.
 */
export function imageNaming(earthfile: string | undefined, arg: ArgValues): ImageNaming {
  const target = arg.IS_UKI === 'true' ? 'uki-provider-image' : 'provider-image';
  const customTag = Boolean(arg.CUSTOM_TAG);
  const fallback = (why: string): ImageNaming => ({ template: FALLBACK_IMAGE_PATH, source: 'fallback', warning: `${why}; expecting provider images named ${FALLBACK_IMAGE_PATH}, the rule of current CanvOS tags` });
  if (earthfile === undefined) return fallback('the tag has no Earthfile');
  const definitions = argDefinitions(earthfile);
  const path = pick(definitions, 'IMAGE_PATH', target, customTag);
  if (!path) return fallback(`the tag's Earthfile defines no IMAGE_PATH for +${target}`);
  let template = path.value;
  if (/\$\{?IMAGE_TAG\b/.test(template)) {
    const tag = pick(definitions, 'IMAGE_TAG', target, customTag);
    if (!tag) return fallback("the tag's Earthfile uses IMAGE_TAG in IMAGE_PATH without defining it");
    template = template.replace(/\$\{IMAGE_TAG\}|\$IMAGE_TAG\b/g, tag.value);
  }
  const unknown = [...template.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g)].map((m) => m[1] ?? '').find((v) => !VARIABLES.has(v));
  if (unknown !== undefined) return fallback(`the tag's IMAGE_PATH (${path.value}) uses $${unknown}, which edgebuild cannot know`);
  if (!/\$\{?K8S_VERSION\b/.test(template)) return fallback(`the tag's IMAGE_PATH (${path.value}) does not name the Kubernetes version`);
  return { template, source: 'Earthfile' };
}

/** CanvOS's .arg.template sets IMAGE_REPO=$OS_DISTRIBUTION. */
export function imageRepo(arg: ArgValues): string {
  return arg.IMAGE_REPO || arg.OS_DISTRIBUTION || '';
}

/** The image reference for one Kubernetes version. */
export function imageReference(template: string, arg: ArgValues, peVersion: string, k8sVersion: string): string {
  const values: Record<string, string> = { ...arg, IMAGE_REPO: imageRepo(arg), PE_VERSION: peVersion, K8S_VERSION: k8sVersion };
  return template.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, a: string | undefined, b: string | undefined) => values[a ?? b ?? ''] ?? '');
}

/** `host[:port]/path:tag` → its parts, as the docker CLI normalises a reference. */
export function parseReference(reference: string): { registry: string; repository: string; tag: string } {
  const at = reference.lastIndexOf(':');
  const slash = reference.lastIndexOf('/');
  const name = at > slash ? reference.slice(0, at) : reference;
  const tag = at > slash ? reference.slice(at + 1) : 'latest';
  const first = name.split('/')[0] ?? '';
  const hasHost = name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  const registry = hasHost ? first : 'docker.io';
  let repository = hasHost ? name.slice(first.length + 1) : name;
  if (registry === 'docker.io' && !repository.includes('/')) repository = `library/${repository}`;
  return { registry, repository, tag };
}

/** The docker CLI's rule: a reference's exact form may differ but a valid one is lower-case, with a tag of ≤128 word characters. */
export function referenceProblem(reference: string): string | undefined {
  const { repository, tag } = parseReference(reference);
  if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(repository)) return `its repository "${repository}" is not a valid image name (lower-case letters, digits, . _ - and /)`;
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) return `its tag "${tag}" is not a valid image tag`;
  return undefined;
}

export interface ProviderImage {
  k8sVersion: string;
  reference: string;
  imageId: string;
  created: string;
  /** The registry's digest of the pushed manifest (with --push). */
  digest?: string;
}

/** The build key of provider images: the iso rule's key plus the versions and whether they were pushed. */
export function providerBuildKey(isoKey: string, versions: readonly string[], push: boolean): string {
  return sha256(JSON.stringify(['provider-images', 1, isoKey, [...versions], push]));
}

/**
 * `os-pack.yaml`: the OS layer values of a BYOOS pack, the keys earthly.sh
 * prints after a provider build, filled from the plan; digests as comments.
 * `stages` (from `edgebuild registries`) joins the OS layer's values.
 */
export function renderOsPack(input: { arg: ArgValues; peVersion: string; images: readonly ProviderImage[]; stages?: unknown }): string {
  const { arg } = input;
  const system = {
    'system.uri': '{{ .spectro.pack.edge-native-byoi.options.system.registry }}/{{ .spectro.pack.edge-native-byoi.options.system.repo }}:{{ .spectro.pack.edge-native-byoi.options.system.k8sDistribution }}-{{ .spectro.system.kubernetes.version }}-{{ .spectro.pack.edge-native-byoi.options.system.peVersion }}-{{ .spectro.pack.edge-native-byoi.options.system.customTag }}',
  };
  const options: Record<string, unknown> = {
    ...system,
    'system.registry': arg.IMAGE_REGISTRY ?? '',
    'system.repo': imageRepo(arg),
    'system.k8sDistribution': arg.K8S_DISTRIBUTION ?? '',
    'system.osName': arg.OS_DISTRIBUTION ?? '',
    'system.peVersion': input.peVersion,
    'system.customTag': arg.CUSTOM_TAG ?? '',
    'system.osVersion': arg.OS_VERSION ?? '',
  };
  const doc: Record<string, unknown> = { pack: { content: { images: [{ image: '{{.spectro.pack.edge-native-byoi.options.system.uri}}' }] } }, options };
  if (input.stages !== undefined) doc.stages = input.stages;
  const comments = input.images.map((i) => `#   ${i.reference}${i.digest ? `@${i.digest}` : ''}  (Kubernetes ${i.k8sVersion}, image ${i.imageId})`);
  const head = ['# OS layer values for a Palette cluster profile (BYOOS pack edge-native-byoi), written by edgebuild provider-images.', '# Provider images:', ...comments].join('\n');
  return `${head}\n${stringify(doc, { lineWidth: 0 })}`;
}
