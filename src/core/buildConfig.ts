/**
 * The build config (`build-configs/*.yaml`), validated against the JSON
 * Schema shipped beside the examples, so editors and edgebuild agree. Pure.
 */
import { createRequire } from 'node:module';
import type { Scalar } from 'yaml';
import { parseYamlWithSchema } from './yamlSchema.js';

export interface BuildConfig {
  name?: string;
  canvos?: { repo?: string; tag?: string };
  userData?: string;
  keepWebhook?: boolean;
  target?: string;
  /** Values as written (numbers keep their source text: `22.10` stays "22.10"). */
  arg?: Record<string, string>;
  files?: { from: string; to: string }[];
  preflight?: { minCpus?: number; minMemoryGB?: number; minDiskGB?: number; probeImage?: string };
}

const require = createRequire(import.meta.url);
export const buildConfigSchema = require('../../build-configs/build-config.schema.json') as object;

/** Parses and validates a build config; throws InputError (exit 2) with file:line:col. */
export function parseBuildConfig(source: string, file: string): BuildConfig {
  const { data, doc } = parseYamlWithSchema<BuildConfig & { arg?: Record<string, unknown> }>(source, file, {
    schema: buildConfigSchema,
    schemaFile: 'build-configs/build-config.schema.json',
    code: 'config',
  });
  if (data.arg) {
    const arg: Record<string, string> = {};
    for (const [key, value] of Object.entries(data.arg)) {
      const node = doc.getIn(['arg', key], true) as Scalar | undefined;
      // Numbers keep the text the user wrote: OS_VERSION: 22.10 must not become "22.1".
      arg[key] = typeof value === 'number' && node?.source ? node.source : String(value);
    }
    data.arg = arg;
  }
  return data as BuildConfig;
}
