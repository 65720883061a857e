/** The registries file as written, after schema validation. */

export type Distribution = 'pxk-e' | 'k3s' | 'rke2';
export const DISTRIBUTIONS: readonly Distribution[] = ['pxk-e', 'k3s', 'rke2'];

export type Capability = 'pull' | 'resolve' | 'push';

export interface EndpointInput {
  url: string;
  ca?: string | string[];
  skipVerify?: boolean;
  overridePath?: boolean;
  capabilities?: Capability[];
}

export interface MirrorInput {
  endpoints: (string | EndpointInput)[];
  rewrite?: Record<string, string>;
  /** PXK-E: false makes the last endpoint containerd's `server`, so a pull never goes to the upstream. */
  fallback?: boolean;
}

export interface CredentialInput {
  username: string;
  password: string;
}

export interface RegistriesFile {
  distribution?: Distribution;
  kubernetesVersion?: string;
  mirrors?: Record<string, MirrorInput>;
  credentials?: Record<string, CredentialInput>;
  credentialProvider?: {
    name?: string;
    matchImages?: string[];
    defaultCacheDuration?: string;
    binDir?: string;
    configPath?: string;
    credentialsDir?: string;
  };
  containerd?: ContainerdInput;
}

/** PXK-E: the settings of the node's containerd that the generated config.toml keeps. */
export interface ContainerdInput {
  /** Which containerd the kubelet talks to; only `containerd` is served. */
  service?: 'containerd' | 'spectro-containerd';
  root?: string;
  runcBinary?: string;
  sandboxImage?: string;
  systemdCgroup?: boolean;
  configPath?: string;
}

/** A path into the registries file, for file:line:col in messages. */
import type { YamlPath } from '../yamlSchema.js';
export type { YamlPath };

/** One file a yip stage writes on the edge host. */
export interface StageFile {
  path: string;
  /** Mode bits, e.g. 0o644. */
  permissions: number;
  owner: number;
  group: number;
  content: string;
  /** Holds credentials (or the Palette macros replaced by them): edgebuild keeps it out of JSON. */
  secret?: boolean;
}

/** One yip step: a name, the files it writes and the commands it runs after writing them. */
export interface StageStep {
  name: string;
  files: StageFile[];
  commands?: string[];
}

export type StageName = 'initramfs' | 'reconcile';

export interface Finding {
  code: string;
  message: string;
  /** Where in the registries file the finding points. */
  at: YamlPath;
  /** Point at the key of `at` rather than its value. */
  key?: boolean;
}
