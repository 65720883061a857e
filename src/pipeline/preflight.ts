/**
 * Step 4: preflight. Gathers host and engine facts concurrently, judges them
 * with the pure rules of src/core/preflight/checks.ts and applies `--skip-check`.
 * Used alone by `doctor` and as one task of `iso`.
 */
import { PreflightError } from '../errors.js';
import { applySkips, evaluatePreflight, parseSkipIds, preflightStatus, type Check, type CheckId, type PreflightSettings } from '../core/preflight/checks.js';
import type { EngineFacts, PathSpace, ProbeFacts } from '../core/preflight/facts.js';
import { DockerUnavailable, connectDocker, engineFacts, type DockerClient } from '../adapters/docker.js';
import { probePrivileged } from '../adapters/dockerProbe.js';
import { hostFacts, pathSpace } from '../adapters/host.js';

export interface PreflightInput extends PreflightSettings {
  /** The build's work dir: its filesystem holds the checkout and the build output. */
  workDir: string;
  /** `--skip-check` ids; an unknown id is exit 2. */
  skip?: readonly string[] | undefined;
  env: Record<string, string | undefined>;
  signal?: AbortSignal | undefined;
  /** Progress for humans (image pull, ...). */
  onProgress?: ((line: string) => void) | undefined;
  /** Deadline of one Docker API call (default: the adapter's, or EDGEBUILD_DOCKER_TIMEOUT). */
  dockerTimeoutMs?: number | undefined;
  /** Deadline of pulling the probe image. */
  pullTimeoutMs?: number | undefined;
}

export interface PreflightReport {
  status: 'ok' | 'failed';
  checks: Check[];
  /** One per skipped check. */
  warnings: string[];
}

interface DockerSide {
  engine: EngineFacts;
  rootSpace: PathSpace;
  probe?: ProbeFacts | undefined;
}

async function dockerRootSpace(engine: EngineFacts): Promise<PathSpace> {
  const role = 'Docker data root';
  if (!engine.ok) return { role, path: 'unknown', unknown: 'the Docker engine did not answer' };
  if (!engine.rootDir) return { role, path: 'unknown', unknown: 'the engine did not report DockerRootDir' };
  if (!engine.endpoint.local) {
    return { role, path: engine.rootDir, unknown: `it is on the remote engine ${engine.endpoint.url}; its free space cannot be read from this host` };
  }
  return pathSpace(engine.rootDir, role, { mustExist: true });
}

async function dockerSide(input: PreflightInput, skip: ReadonlySet<CheckId>): Promise<DockerSide> {
  let client: DockerClient;
  try {
    client = connectDocker(input.env, input.dockerTimeoutMs === undefined ? {} : { timeoutMs: input.dockerTimeoutMs });
  } catch (error) {
    if (!(error instanceof DockerUnavailable)) throw error;
    const engine: EngineFacts = { ok: false, endpoint: error.endpoint, failure: error.failure, detail: error.detail };
    return { engine, rootSpace: await dockerRootSpace(engine) };
  }
  // A remote engine cannot run the build (core/engineFailure.ts says why): not contacted, the check fails.
  const engine: EngineFacts = client.endpoint.local ? await engineFacts(client, { signal: input.signal }) : { ok: false, endpoint: client.endpoint, failure: 'remote', detail: client.endpoint.url };
  const probe =
    engine.ok && !skip.has('privileged')
      ? probePrivileged(client, input.probeImage, {
          signal: input.signal,
          ...(input.pullTimeoutMs === undefined ? {} : { pullTimeoutMs: input.pullTimeoutMs }),
          ...(input.onProgress ? { onProgress: input.onProgress } : {}),
        })
      : undefined;
  const [rootSpace, probed] = await Promise.all([dockerRootSpace(engine), probe]);
  return { engine, rootSpace, probe: probed };
}

export async function runPreflight(input: PreflightInput): Promise<PreflightReport> {
  const skip = parseSkipIds(input.skip ?? []);
  const [host, workSpace, docker] = await Promise.all([hostFacts({ signal: input.signal, env: input.env }), pathSpace(input.workDir, 'work dir'), dockerSide(input, skip)]);
  const evaluated = evaluatePreflight({ host, engine: docker.engine, spaces: [workSpace, docker.rootSpace], probe: docker.probe }, input.thresholds);
  const { checks, warnings } = applySkips(evaluated, skip);
  return { status: preflightStatus(checks), checks, warnings };
}

/** `iso` stops here when a check fails: exit 3, naming each failure and its fix. */
export function assertPreflight(report: PreflightReport): void {
  const failed = report.checks.filter((c) => c.status === 'fail');
  if (!failed.length) return;
  const ids = failed.map((c) => c.id).join(',');
  throw new PreflightError(`preflight failed: ${failed.map((c) => `${c.id}: ${c.message}`).join('; ')}`, {
    code: 'preflight-failed',
    fix: `${failed.map((c) => c.fix).filter(Boolean).join('; ')}; or skip with --skip-check ${ids} (edgebuild doctor shows every check)`,
    details: { checks: report.checks },
  });
}

/** "7 passed, 1 failed" for task titles. */
export function summarize(checks: readonly Check[]): string {
  const counts = new Map<string, number>();
  for (const c of checks) counts.set(c.status, (counts.get(c.status) ?? 0) + 1);
  const words: Record<string, string> = { pass: 'passed', fail: 'failed', warn: 'warned', skip: 'skipped' };
  return ['pass', 'warn', 'fail', 'skip'].filter((s) => counts.has(s)).map((s) => `${counts.get(s)} ${words[s]}`).join(', ');
}
