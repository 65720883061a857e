/**
 * Registry credentials as the docker CLI finds them: `$DOCKER_CONFIG/config.json`
 * (default ~/.docker/config.json) and its credential helpers
 * (`docker-credential-<name> get`, the server on stdin). The secret travels
 * on stdin/stdout only; it is never in argv, a log or a message.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { InputError, RuntimeError } from '../errors.js';
import { chooseAuth, helperServer, parseHelperOutput } from '../core/dockerAuth.js';

export interface Credentials {
  username: string;
  /** A password, or an identity token when `identityToken` is true. */
  secret: string;
  identityToken: boolean;
  /** The credential helper that answered (`docker-credential-<name>`), if one did. */
  helper?: string;
}

export function dockerConfigPath(env: Record<string, string | undefined>): string {
  return join(env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker'), 'config.json');
}

async function readConfig(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InputError(`${path}: cannot read it (${(error as Error).message})`, { code: 'docker-config', fix: `make ${path} readable, or set DOCKER_CONFIG to the folder of another config.json` });
  }
}

/** The credentials for `registry` (`docker.io` for Docker Hub), or undefined for anonymous access. */
export async function registryCredentials(registry: string, env: Record<string, string | undefined>, signal?: AbortSignal): Promise<Credentials | undefined> {
  const path = dockerConfigPath(env);
  const choice = chooseAuth(await readConfig(path), registry);
  if ('error' in choice) throw new InputError(`${path}: ${choice.error}`, { code: 'docker-config', fix: `fix ${path} (docker login ${registry} rewrites its entry)` });
  switch (choice.kind) {
    case 'none':
      return undefined;
    case 'basic':
      return { username: choice.username, secret: choice.password, identityToken: false };
    case 'token':
      return { username: choice.username, secret: choice.identityToken, identityToken: true };
    case 'helper': {
      const program = `docker-credential-${choice.helper}`;
      const { execa } = await import('execa'); // only when a helper is named: a rerun must not load execa
      const run = await execa(program, ['get'], { input: helperServer(registry), reject: false, env, extendEnv: false, timeout: 60_000, ...(signal ? { cancelSignal: signal } : {}) });
      if (run.exitCode !== 0) {
        // "credentials not found in native keychain": anonymous, as the docker CLI goes on.
        if (/not found/i.test(String(run.stdout) + String(run.stderr))) return undefined;
        // The helper's own output may echo a secret: name the helper and how it failed, nothing else.
        const why = (run as { code?: string }).code === 'ENOENT' ? 'is not installed' : `get failed for ${registry} (exit ${run.exitCode ?? '?'})`;
        throw new RuntimeError(`${program} ${why}`, { code: 'credential-helper', fix: `check ${program} (named in ${path}) works: echo ${helperServer(registry)} | ${program} get` });
      }
      const parsed = parseHelperOutput(String(run.stdout));
      if (!parsed) throw new RuntimeError(`${program} get printed no credentials for ${registry}`, { code: 'credential-helper', fix: `docker login ${registry}` });
      return parsed.username === '<token>' ? { username: '', secret: parsed.secret, identityToken: true, helper: program } : { username: parsed.username, secret: parsed.secret, identityToken: false, helper: program };
    }
  }
}
