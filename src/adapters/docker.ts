// TEMPORARY stand-in until the doctor branch lands its docker adapter; replaced on merge.
import Docker from 'dockerode';

export function connectDocker(env: Record<string, string | undefined>): Docker {
  const host = env.DOCKER_HOST;
  if (host?.startsWith('unix://')) return new Docker({ socketPath: host.slice(7), timeout: 30_000 });
  return new Docker({ timeout: 30_000 });
}
