/**
 * Docker engine versions as engines report them: `28.2.2`, Debian's
 * `20.10.24+dfsg1`, old `17.12.1-ce`, `v25.0.3`, RHEL's `1.13.1`, and
 * Podman's Docker-compatible API (`4.9.3`, `5.2.0-dev`). Pure.
 */

export interface EngineVersion {
  major: number;
  minor: number;
  patch: number;
  /** What the engine reported, unchanged. */
  text: string;
}

/** Leading `major.minor[.patch]`; anything after (`+dfsg1`, `-ce`, `-rc.1`) is ignored. */
export function parseEngineVersion(text: string): EngineVersion | undefined {
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text.trim());
  if (!match) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3] ?? 0), text };
}

export function compareVersions(a: Pick<EngineVersion, 'major' | 'minor' | 'patch'>, b: Pick<EngineVersion, 'major' | 'minor' | 'patch'>): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** What the engine's /version and /info say it is. */
export interface EngineIdentity {
  /** `Version` from /version (falls back to ServerVersion from /info). */
  version: string;
  /** `Platform.Name`, e.g. "Docker Engine - Community", "Docker Desktop 4.30.0 (149282)", "Podman Engine". */
  platformName?: string;
  /** `Components[].Name`: Podman answers with "Podman Engine". */
  components?: string[];
}

export function isPodman(engine: EngineIdentity): boolean {
  return [engine.platformName ?? '', ...(engine.components ?? [])].some((name) => /podman/i.test(name));
}
