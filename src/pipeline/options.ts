/** Where the CanvOS checkout, the build logs and the lock live unless --work-dir says otherwise. */
export const DEFAULT_WORK_DIR = '.edgebuild';
/** Not `dist`: in a Node project (edgebuild's own clone) that folder holds compiled JavaScript. */
export const DEFAULT_OUT_DIR = 'out/edgebuild';

/** What the `iso` command (and the programmatic API) accepts. */
export interface IsoOptions {
  tag?: string;
  repo?: string;
  config?: string;
  userData?: string;
  arg?: string[];
  target?: string;
  keepWebhook?: boolean;
  cacheDir?: string;
  workDir?: string;
  out?: string;
  skipCheck?: string[];
  force?: boolean;
  wait?: boolean;
  dryRun?: boolean;
  /** Run a target edgebuild cannot verify, checking only its exit status (nothing is published). */
  targetUnverified?: boolean;
  cwd: string;
  env: Record<string, string | undefined>;
  signal?: AbortSignal;
}
