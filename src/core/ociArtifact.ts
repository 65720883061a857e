/**
 * A published set (ISO, .sha256, manifest.json) as one OCI artifact: an OCI
 * image manifest with an artifactType, the empty config and one titled
 * layer per file — the layout ORAS writes, so `oras pull` fetches it too.
 * Also the spec's rules for reading such a manifest back. Pure.
 */
import { InputError, RuntimeError } from '../errors.js';
import { MANIFEST_NAME, type Manifest } from './manifest.js';

export const OCI_MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX_TYPE = 'application/vnd.oci.image.index.v1+json';
export const EMPTY_TYPE = 'application/vnd.oci.empty.v1+json';
export const ARTIFACT_TYPE = 'application/vnd.edgebuild.installer.v1';
export const ISO_TYPE = 'application/x-iso9660-image';
export const CHECKSUM_TYPE = 'text/plain';
export const MANIFEST_LAYER_TYPE = 'application/vnd.edgebuild.manifest.v1+json';

export const TITLE = 'org.opencontainers.image.title';
export const CREATED = 'org.opencontainers.image.created';
export const BUILD_KEY = 'dev.edgebuild.build-key';
export const CANVOS_TAG = 'dev.edgebuild.canvos-tag';

/** The OCI empty descriptor's blob `{}` (image-spec, "Guidance for an Empty Descriptor"). */
export const EMPTY_BLOB = '{}';
export const EMPTY_DIGEST = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType: typeof OCI_MANIFEST_TYPE;
  artifactType: string;
  config: Descriptor & { data?: string };
  layers: Descriptor[];
  annotations: Record<string, string>;
}

/** A file of the published set, with its digest and size as manifest.json records them. */
export interface SetFile {
  name: string;
  sha256: string;
  size: number;
}

function layerType(name: string): string {
  if (name === MANIFEST_NAME) return MANIFEST_LAYER_TYPE;
  if (name.endsWith('.sha256')) return CHECKSUM_TYPE;
  return ISO_TYPE;
}

/** The image manifest for a published set: its files in manifest.json's order, manifest.json last. */
export function makeImageManifest(manifest: Pick<Manifest, 'buildKey' | 'canvos' | 'finishedAt'>, files: readonly SetFile[]): ImageManifest {
  return {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST_TYPE,
    artifactType: ARTIFACT_TYPE,
    config: { mediaType: EMPTY_TYPE, digest: EMPTY_DIGEST, size: 2, data: 'e30=' },
    layers: files.map((f) => ({ mediaType: layerType(f.name), digest: `sha256:${f.sha256}`, size: f.size, annotations: { [TITLE]: f.name } })),
    annotations: { [CREATED]: manifest.finishedAt, [BUILD_KEY]: manifest.buildKey, [CANVOS_TAG]: manifest.canvos.tag },
  };
}

/** The manifest's bytes as pushed: their sha256 is the artifact's digest. */
export function renderImageManifest(manifest: ImageManifest): string {
  return JSON.stringify(manifest);
}

// distribution-spec: the <name> and <reference> grammars.
const NAME = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const HOST = /^(localhost|[a-zA-Z0-9-]+(\.[a-zA-Z0-9-]+)+|\[[0-9a-fA-F:]+\]|[a-zA-Z0-9-]+)(:[0-9]+)?$/;

export interface OciReference {
  /** host[:port], as in ~/.docker/config.json. */
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

/** `registry/repo[:tag][@sha256:…]` → its parts; a bad reference is exit 2 naming the part. */
export function parseReference(text: string, what: string, needTag = false): OciReference {
  const example = 'registry.example.com/edge/installer:v4.9.38';
  // `user:password@host/…` (or a scheme): not echoed, since it may hold a password.
  const slashAt = text.indexOf('/');
  if (/^[a-z]+:\/\//i.test(text) || (text.includes('@') && (slashAt < 0 || text.indexOf('@') < slashAt))) {
    throw new InputError(`${what} is not a registry/repository:tag reference (it has a scheme or credentials before the host; not shown)`, {
      code: 'oci-reference',
      fix: `give the reference alone, e.g. ${example}; credentials come from docker login or EDGEBUILD_REGISTRY_USERNAME/_PASSWORD`,
    });
  }
  const bad = (why: string, fix: string): InputError => new InputError(`${what} ${JSON.stringify(text)}: ${why}`, { code: 'oci-reference', fix });
  const [rest = '', digest, extra] = text.split('@');
  if (extra !== undefined || (digest !== undefined && !DIGEST.test(digest))) throw bad('the digest is not sha256:<64 hex digits>', `use a reference like ${example} or …@sha256:<digest>`);
  const slash = rest.indexOf('/');
  const registry = slash < 0 ? '' : rest.slice(0, slash);
  if (!registry || !HOST.test(registry) || !(registry.includes('.') || registry.includes(':') || registry === 'localhost')) {
    throw bad('it does not start with a registry host', `name the registry, e.g. ${example}`);
  }
  const path = rest.slice(slash + 1);
  const colon = path.lastIndexOf(':');
  const repository = colon < 0 ? path : path.slice(0, colon);
  const tag = colon < 0 ? undefined : path.slice(colon + 1);
  if (!NAME.test(repository)) throw bad(`the repository "${repository}" is not lowercase path components`, `use a reference like ${example}`);
  if (tag !== undefined && !TAG.test(tag)) throw bad(`the tag "${tag}" is not a valid tag (letters, digits, _ . -, at most 128)`, `use a reference like ${example}`);
  if (needTag && tag === undefined) throw bad('it has no tag', `add a tag, e.g. ${example}`);
  if (tag === undefined && digest === undefined) throw bad('it has neither a tag nor a digest', `add a tag or @sha256:<digest>, e.g. ${example}`);
  return { registry, repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

export function formatReference(ref: OciReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** What the manifest of a ref is fetched by: the digest when given (it pins the bytes), else the tag. */
export function manifestReference(ref: OciReference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function descriptorProblems(value: unknown, where: string): string[] {
  if (!isObject(value)) return [`${where} is not an object`];
  const problems: string[] = [];
  if (typeof value.mediaType !== 'string' || !/^[A-Za-z0-9][\w!#$&^.+-]{0,126}\/[A-Za-z0-9][\w!#$&^.+-]{0,126}$/.test(value.mediaType)) problems.push(`${where}.mediaType is not an RFC 6838 media type`);
  if (typeof value.digest !== 'string' || !/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(value.digest)) problems.push(`${where}.digest is not a digest`);
  else if (value.digest.startsWith('sha256:') && !DIGEST.test(value.digest)) problems.push(`${where}.digest is not sha256:<64 lowercase hex>`);
  if (typeof value.size !== 'number' || !Number.isSafeInteger(value.size) || value.size < 0) problems.push(`${where}.size is not a non-negative integer`);
  if (value.annotations !== undefined && !(isObject(value.annotations) && Object.values(value.annotations).every((v) => typeof v === 'string'))) {
    problems.push(`${where}.annotations is not a map of strings`);
  }
  if (value.urls !== undefined && !(Array.isArray(value.urls) && value.urls.every((u) => typeof u === 'string'))) problems.push(`${where}.urls is not an array of strings`);
  if (value.data !== undefined && (typeof value.data !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value.data))) problems.push(`${where}.data is not base64`);
  return problems;
}

/**
 * The image-spec's rules for an image manifest (manifest.md, descriptor.md,
 * the JSON schema image-manifest-schema.json): the problems, or none.
 */
export function imageManifestProblems(value: unknown): string[] {
  if (!isObject(value)) return ['the manifest is not a JSON object'];
  const problems: string[] = [];
  if (value.schemaVersion !== 2) problems.push('schemaVersion is not 2');
  if (value.mediaType !== undefined && value.mediaType !== OCI_MANIFEST_TYPE) problems.push(`mediaType is not ${OCI_MANIFEST_TYPE}`);
  if (value.artifactType !== undefined && (typeof value.artifactType !== 'string' || descriptorProblems({ mediaType: value.artifactType, digest: EMPTY_DIGEST, size: 0 }, 'artifactType').length)) {
    problems.push('artifactType is not a media type');
  }
  problems.push(...descriptorProblems(value.config, 'config'));
  // An artifact with the empty config must name its type (manifest.md, "Guidelines for Artifact Usage").
  if (isObject(value.config) && value.config.mediaType === EMPTY_TYPE && typeof value.artifactType !== 'string') problems.push('artifactType is required when config.mediaType is the empty type');
  if (!Array.isArray(value.layers)) problems.push('layers is not an array');
  else value.layers.forEach((layer, i) => problems.push(...descriptorProblems(layer, `layers[${i}]`)));
  if (value.annotations !== undefined && !(isObject(value.annotations) && Object.values(value.annotations).every((v) => typeof v === 'string'))) problems.push('annotations is not a map of strings');
  if (value.subject !== undefined) problems.push(...descriptorProblems(value.subject, 'subject'));
  return problems;
}

/** A file a pulled layer becomes: its title, its digest's hex and its size. */
export interface PulledLayer extends SetFile {
  mediaType: string;
}

/**
 * An edgebuild artifact read back: a valid image manifest of our type whose
 * layers are titled with plain file names, one of them manifest.json.
 */
export function parseImageManifest(text: string, shown: string): { manifest: ImageManifest; layers: PulledLayer[] } {
  const fail = (why: string): RuntimeError => new RuntimeError(`${shown}: ${why}`, { code: 'oci-not-edgebuild', fix: 'pull a reference pushed by edgebuild push' });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw fail('the registry returned a manifest that is not JSON');
  }
  const problems = imageManifestProblems(value);
  if (problems.length) throw fail(`not an OCI image manifest (${problems.join('; ')})`);
  const manifest = value as ImageManifest;
  if (manifest.artifactType !== ARTIFACT_TYPE) throw fail(`its artifactType is ${manifest.artifactType ?? 'absent'}, not ${ARTIFACT_TYPE}`);
  const layers = manifest.layers.map((l, i): PulledLayer => {
    const title = l.annotations?.[TITLE];
    // A title becomes a file name in --out: nothing that could point elsewhere.
    if (!title || title.includes('/') || title.includes('\\') || title === '.' || title === '..' || title.startsWith('.') || title.includes('\0')) {
      throw fail(`layers[${i}] has no plain file name as ${TITLE}`);
    }
    if (!DIGEST.test(l.digest)) throw fail(`layers[${i}] is not a sha256 digest`);
    return { name: title, sha256: l.digest.slice('sha256:'.length), size: l.size, mediaType: l.mediaType };
  });
  const names = new Set(layers.map((l) => l.name));
  if (names.size !== layers.length) throw fail('two layers have the same title');
  if (!names.has(MANIFEST_NAME)) throw fail(`no layer is titled ${MANIFEST_NAME}`);
  return { manifest, layers };
}

export interface LayerCheck {
  id: string;
  ok: boolean;
  message: string;
}

/**
 * `verify --ref`: the pushed layers against the local manifest.json (its
 * artifacts and its own bytes' sha256), without downloading anything big.
 */
export function compareLayers(layers: readonly SetFile[], local: Pick<Manifest, 'artifacts'>, localManifest: SetFile): LayerCheck[] {
  const expected = [...local.artifacts, localManifest];
  const checks: LayerCheck[] = expected.map((file) => {
    const layer = layers.find((l) => l.name === file.name);
    if (!layer) return { id: 'ref-layer-missing', ok: false, message: `the pushed artifact has no layer ${file.name}` };
    if (layer.sha256 !== file.sha256 || layer.size !== file.size) {
      return { id: 'ref-layer-differs', ok: false, message: `the pushed ${file.name} is ${layer.size} bytes, sha256 ${layer.sha256}; the local one is ${file.size} bytes, ${file.sha256}` };
    }
    return { id: 'ref-layer', ok: true, message: `the pushed ${file.name} is the local one (sha256 ${file.sha256})` };
  });
  for (const layer of layers) {
    if (!expected.some((f) => f.name === layer.name)) checks.push({ id: 'ref-layer-extra', ok: false, message: `the pushed artifact has a layer ${layer.name} the local manifest.json does not list` });
  }
  return checks;
}

/** A `WWW-Authenticate` challenge: its scheme and parameters (RFC 7235). */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

export function parseChallenge(header: string): Challenge | undefined {
  const match = /^\s*([A-Za-z][\w-]*)\s*(.*)$/.exec(header);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  const pattern = /([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?\s*/g;
  let param: RegExpExecArray | null;
  while ((param = pattern.exec(match[2] ?? '')) !== null && param[0] !== '') {
    params[(param[1] ?? '').toLowerCase()] = param[2] !== undefined ? param[2].replace(/\\(.)/g, '$1') : (param[3] ?? '');
  }
  return { scheme: (match[1] ?? '').toLowerCase(), params };
}
