/**
 * Why the Docker engine did not answer, in words that name the socket and
 * the likely fix. Pure: the docker adapter classifies the error, this says it.
 */
import type { DockerEndpoint, EngineFailure } from '../preflight/facts.js';

export interface EngineFailureFacts {
  endpoint: DockerEndpoint;
  failure: EngineFailure;
  detail: string;
}

function where(endpoint: DockerEndpoint): string {
  if (endpoint.context) return `${endpoint.url} (from docker context "${endpoint.context}")`;
  return endpoint.fromEnv ? `${endpoint.url} (from DOCKER_HOST)` : `${endpoint.url} (the default; DOCKER_HOST is not set)`;
}

const START = 'start the Docker daemon (sudo systemctl start docker; Docker Desktop: start the app)';

export function engineFailureText({ endpoint, failure, detail }: EngineFailureFacts): { message: string; fix: string } {
  const at = where(endpoint);
  switch (failure) {
    case 'bad-host':
      return { message: `DOCKER_HOST is not a Docker endpoint: ${detail}`, fix: 'set DOCKER_HOST to unix:///path/to/docker.sock, tcp://host:port or npipe:////./pipe/docker_engine, or unset it' };
    case 'context':
      return { message: detail, fix: 'fix or recreate that context (docker context ls), or run docker context use default / unset DOCKER_CONTEXT' };
    case 'remote':
      return {
        message: `the Docker engine at ${at} is remote: earthly.sh bind-mounts the CanvOS checkout and /var/run/docker.sock of the machine it runs on into its containers, so the build cannot run on another machine's engine`,
        fix: `run edgebuild on the engine's host itself, or use the local engine (${endpoint.context ? 'docker context use default, or unset DOCKER_CONTEXT' : 'unset DOCKER_HOST'})`,
      };
    case 'no-socket':
      return {
        message: `no Docker socket at ${endpoint.address}: ${at}`,
        fix: endpoint.fromEnv
          ? `${START}, or point DOCKER_HOST at the socket the daemon listens on (rootless Docker: unix://$XDG_RUNTIME_DIR/docker.sock)`
          : `${START}; if it listens elsewhere, set DOCKER_HOST (rootless Docker: unix://$XDG_RUNTIME_DIR/docker.sock)`,
      };
    case 'permission':
      return {
        message: `permission denied on the Docker socket ${endpoint.address}: ${at}`,
        fix: 'add your user to the docker group (sudo usermod -aG docker $USER, then log in again), or run as a user who may use the socket',
      };
    case 'refused':
      return endpoint.kind === 'unix' || endpoint.kind === 'npipe'
        ? { message: `nothing answers on the Docker socket ${endpoint.address} (a stale socket; the daemon is not running): ${at}`, fix: START }
        : { message: `connection refused by ${endpoint.address}: ${at}`, fix: 'check that dockerd listens on that address (dockerd -H tcp://...) and that DOCKER_HOST is right' };
    case 'timeout':
      return { message: `the Docker engine at ${at} did not answer within ${detail}`, fix: 'the daemon is hung or overloaded: restart it (sudo systemctl restart docker) and try again' };
    case 'unresolved':
      return { message: `cannot resolve the Docker host ${endpoint.address}: ${at}`, fix: 'correct the host name in DOCKER_HOST' };
    case 'tls':
      return { message: `TLS to the Docker engine at ${at} failed: ${detail}`, fix: 'check DOCKER_TLS_VERIFY and the certificates in DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem)' };
    case 'other':
      return { message: `the Docker engine at ${at} did not answer: ${detail}`, fix: `check that the engine runs and that DOCKER_HOST is right (docker -H ${endpoint.url} version)` };
  }
}
