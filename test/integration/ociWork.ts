/**
 * What the OCI tests share (oci.test.ts, ociLarge.test.ts): a user-data
 * holding a token, a temporary work directory per test file, the CLI run
 * in-process in it, and a plain GET on a registry.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { OCI_MANIFEST_TYPE } from '../../src/core/ociArtifact.js';
import { runCli } from './cli.js';

export const TOKEN = 'edge-registration-token-7f3a';
export const USER_DATA = `#cloud-config\nstylus:\n  site:\n    edgeHostToken: ${TOKEN}\n  imageRedirectWebhook:\n    enable: false\n`;

/** The test file's work directory, made before its tests and removed after them by useWorkDir(). */
export let work: string;

/** Call at the top level of the test file. */
export function useWorkDir(): void {
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'edgebuild-oci-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));
}

/** GET on the plain-http registry, as any client would: the stored manifest's bytes. */
export function httpGet(host: string, path: string, accept = OCI_MANIFEST_TYPE): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(`http://${host}${path}`, { headers: { accept } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts) }));
    });
    req.on('error', reject);
    req.end();
  });
}

export function cli(args: string[], env: Record<string, string> = {}): ReturnType<typeof runCli> {
  return runCli(args, { cwd: work, env: { DOCKER_CONFIG: join(work, 'no-docker-config'), ...env } });
}

/** `name` under the work directory, removed if an earlier test left it. */
export function fresh(name: string): string {
  const dir = join(work, name);
  rmSync(dir, { recursive: true, force: true });
  return dir;
}
