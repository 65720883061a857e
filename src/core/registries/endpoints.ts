/**
 * Mirror endpoints: the string shorthand, URL checks and defaults shared by the
 * containerd and K3s/RKE2 writers. Pure.
 */
import type { Capability, EndpointInput, MirrorInput } from './types.js';

export interface Endpoint {
  url: string;
  /** The parsed URL; undefined when the URL is invalid (lint reports it, writers skip it). */
  parsed: URL | undefined;
  /** Why the URL is not usable, when it is not. */
  problem: string | undefined;
  ca: string[];
  skipVerify: boolean;
  overridePath: boolean;
  /** As written; undefined means the default. */
  capabilities: Capability[] | undefined;
}

/** containerd's default for a host without `capabilities` is everything; a mirror should only pull and resolve. */
export const MIRROR_CAPABILITIES: readonly Capability[] = ['pull', 'resolve'];

export function endpointProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a URL';
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return `must start with https:// or http://, not ${parsed.protocol}//`;
  if (!parsed.hostname) return 'has no host';
  if (parsed.username || parsed.password) return 'must not carry credentials (use credentials:)';
  if (parsed.search || parsed.hash) return 'must not have a query or fragment';
  // WHATWG URL accepts these; containerd and K3s would put them verbatim into the host name.
  if (/[\s{}]/.test(url)) return 'contains spaces or braces';
  return undefined;
}

export function normalizeEndpoint(input: string | EndpointInput): Endpoint {
  const e: EndpointInput = typeof input === 'string' ? { url: input } : input;
  const problem = endpointProblem(e.url);
  return {
    url: e.url,
    parsed: problem ? undefined : new URL(e.url),
    problem,
    ca: e.ca === undefined ? [] : Array.isArray(e.ca) ? e.ca : [e.ca],
    skipVerify: e.skipVerify ?? false,
    overridePath: e.overridePath ?? false,
    capabilities: e.capabilities,
  };
}

export function mirrorEndpoints(mirror: MirrorInput): Endpoint[] {
  return mirror.endpoints.map(normalizeEndpoint);
}

/**
 * The URL as written, without trailing slashes. Not `new URL().href`: that drops
 * an explicit :443, which K3s documents as the way to make an endpoint differ
 * from the registry's default one.
 */
export function endpointKey(endpoint: Endpoint): string {
  return endpoint.url.replace(/\/+$/, '');
}

/** host[:port] of an endpoint as written (K3s/RKE2 key `configs` by it). */
export function endpointHost(endpoint: Endpoint): string {
  const afterScheme = endpoint.url.replace(/^[a-z]+:\/\//i, '');
  return afterScheme.split(/[/?#]/, 1)[0]!.toLowerCase();
}
