/**
 * The kubelet's image matching for credential providers, ported from
 * kubernetes/kubernetes pkg/credentialprovider/keyring.go (URLsMatchStr,
 * URLsMatch, ParseSchemelessURL, SplitURL), unchanged through v1.35.
 *
 * The kubelet calls URLsMatchStr(matchImage, image) for every entry of a
 * provider's `matchImages` (plugin.go isImageAllowed) and again for every key of
 * the `auth` map a plugin returns (the keyring lookup). The rules:
 *   - the pattern and the image are parsed as URLs after prefixing "https://";
 *   - the ports must be equal ("" counts as a port: no port matches only no port);
 *   - the host names must have the same number of dot-separated parts, and each
 *     part must match its glob (Go filepath.Match): `*.io` matches `gcr.io` but
 *     not `us.gcr.io`, which needs `*.*.io`;
 *   - the pattern's path must be a string prefix of the image's path.
 * Pure.
 */

export interface SchemelessUrl {
  /** host[:port] exactly as written (Go keeps case and a default port). */
  host: string;
  /** Decoded path, "" when absent. */
  path: string;
}

export class BadUrlError extends Error {}

const HEX = /^[0-9A-Fa-f]{2}$/;

function unescapePath(raw: string): string {
  // Go's url.Parse decodes %XX in the path and rejects malformed escapes.
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c !== '%') {
      out += c;
      continue;
    }
    const hex = raw.slice(i + 1, i + 3);
    if (!HEX.test(hex)) throw new BadUrlError(`invalid URL escape "%${hex}"`);
    out += String.fromCharCode(parseInt(hex, 16));
    i += 2;
  }
  // Bytes to UTF-8 text, as Go compares byte strings.
  return Buffer.from(out, 'latin1').toString('utf8');
}

/** Go's url.Parse("https://" + text) with the scheme cleared; throws BadUrlError. */
export function parseSchemelessUrl(text: string): SchemelessUrl {
  let rest = text;
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  const query = rest.indexOf('?');
  if (query >= 0) rest = rest.slice(0, query);
  const slash = rest.indexOf('/');
  let authority = slash >= 0 ? rest.slice(0, slash) : rest;
  const rawPath = slash >= 0 ? rest.slice(slash) : '';
  const at = authority.lastIndexOf('@');
  if (at >= 0) authority = authority.slice(at + 1);
  validateHost(authority);
  return { host: authority, path: unescapePath(rawPath) };
}

function validateHost(host: string): void {
  let port: string | undefined;
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    if (close < 0) throw new BadUrlError('missing "]" in host');
    const after = host.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) throw new BadUrlError('invalid port after host');
    port = after === '' ? undefined : after.slice(1);
  } else {
    const colon = host.lastIndexOf(':');
    if (colon >= 0) port = host.slice(colon + 1);
    const name = colon >= 0 ? host.slice(0, colon) : host;
    // Go rejects these bytes in a host name (url.shouldEscape in encodeHost mode).
    if (/[\s"<>\\^`{|}%]/.test(name)) throw new BadUrlError(`invalid character in host name "${name}"`);
  }
  if (port !== undefined && !/^[0-9]*$/.test(port)) throw new BadUrlError(`invalid port ":${port}" after host`);
}

/** Go's net.SplitHostPort, falling back to (host, "") when it fails, then split on ".". */
export function splitUrl(url: SchemelessUrl): { parts: string[]; port: string } {
  const { host, port } = splitHostPort(url.host);
  return { parts: host.split('.'), port };
}

function splitHostPort(hostport: string): { host: string; port: string } {
  if (hostport.startsWith('[')) {
    const close = hostport.indexOf(']');
    if (close >= 0 && hostport[close + 1] === ':' && !hostport.slice(close + 2).includes(':')) {
      return { host: hostport.slice(1, close), port: hostport.slice(close + 2) };
    }
    return { host: hostport, port: '' };
  }
  const colon = hostport.lastIndexOf(':');
  // Go fails on "missing port" and "too many colons"; the kubelet then uses the whole host.
  if (colon < 0 || hostport.indexOf(':') !== colon) return { host: hostport, port: '' };
  return { host: hostport.slice(0, colon), port: hostport.slice(colon + 1) };
}

/** Go's path/filepath.Match on one host part (no separators). Throws BadUrlError on a bad pattern. */
export function globMatch(pattern: string, name: string): boolean {
  return globToRegExp(pattern).test(name);
}

const cache = new Map<string, RegExp>();

function escapeRegExp(c: string): string {
  // Only syntax characters may be escaped under the `u` flag.
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c;
}

function globToRegExp(pattern: string): RegExp {
  const cached = cache.get(pattern);
  if (cached) return cached;
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '\\') {
      i++;
      if (i >= pattern.length) throw new BadUrlError('syntax error in pattern');
      source += escapeRegExp(pattern[i]!);
    } else if (c === '[') {
      const { regex, end } = characterClass(pattern, i);
      source += regex;
      i = end;
    } else source += escapeRegExp(c);
  }
  const regex = new RegExp(`^${source}$`, 'su');
  cache.set(pattern, regex);
  return regex;
}

/** Parses `[` [`^`] { char | lo `-` hi } `]` starting at `start`; returns the regex and the index of `]`. */
function characterClass(pattern: string, start: number): { regex: string; end: number } {
  let i = start + 1;
  let negate = false;
  if (pattern[i] === '^') {
    negate = true;
    i++;
  }
  const ranges: string[] = [];
  const readChar = (): string => {
    let c = pattern[i];
    if (c === undefined || c === '-' || c === ']') throw new BadUrlError('syntax error in pattern');
    if (c === '\\') {
      i++;
      c = pattern[i];
      if (c === undefined) throw new BadUrlError('syntax error in pattern');
    }
    i++;
    return c;
  };
  let first = true;
  for (;;) {
    if (pattern[i] === ']' && !first) break;
    const lo = readChar();
    let hi = lo;
    if (pattern[i] === '-') {
      i++;
      hi = readChar();
    }
    if (hi < lo) throw new BadUrlError('syntax error in pattern');
    const esc = (ch: string): string => `\\u{${ch.codePointAt(0)!.toString(16)}}`;
    ranges.push(lo === hi ? esc(lo) : `${esc(lo)}-${esc(hi)}`);
    first = false;
    if (i >= pattern.length) throw new BadUrlError('syntax error in pattern');
  }
  // A negated class never matches the separator, like Go.
  return { regex: negate ? `[^/${ranges.join('')}]` : `[${ranges.join('')}]`, end: i };
}

/** The kubelet's URLsMatch. Throws BadUrlError on a malformed glob part. */
export function urlsMatch(glob: SchemelessUrl, target: SchemelessUrl): boolean {
  const g = splitUrl(glob);
  const t = splitUrl(target);
  if (g.port !== t.port) return false;
  if (g.parts.length !== t.parts.length) return false;
  if (!target.path.startsWith(glob.path)) return false;
  return g.parts.every((part, k) => globMatch(part, t.parts[k]!));
}

/** The kubelet's URLsMatchStr; errors count as "no match", as in isImageAllowed. */
export function urlsMatchStr(glob: string, target: string): boolean {
  try {
    return urlsMatch(parseSchemelessUrl(glob), parseSchemelessUrl(target));
  } catch (error) {
    if (error instanceof BadUrlError) return false;
    throw error;
  }
}

/** isImageAllowed: does any matchImages entry match the image the kubelet asks about? */
export function imageAllowed(matchImages: readonly string[], image: string): boolean {
  return matchImages.some((pattern) => urlsMatchStr(pattern, image));
}

/**
 * Whether images on `registry` (host[:port]) can reach the provider at all:
 * some pattern matches its host and port. A pattern with a path still covers
 * the registry (for the images under that path).
 */
export function registryCovered(matchImages: readonly string[], registry: string): boolean {
  return matchImages.some((pattern) => {
    try {
      const glob = parseSchemelessUrl(pattern);
      return urlsMatch({ host: glob.host, path: '' }, parseSchemelessUrl(registry));
    } catch (error) {
      if (error instanceof BadUrlError) return false;
      throw error;
    }
  });
}
