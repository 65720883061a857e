/**
 * The build config (`build-configs/*.yaml`), validated against the JSON
 * Schema shipped beside the examples, so editors and edgebuild agree. Pure.
 */
import { posix } from 'node:path';
import type { Scalar } from 'yaml';
import { inputErrorAt, type Place } from '../errors.js';
import { parseYamlWithSchema, type Validator } from './yamlSchema.js';
import { validate as validateBuildConfig } from './validators/buildConfig.js';

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


/**
 * Places in the checkout that are not the config's to fill: edgebuild writes
 * user-data and .arg after the extra files (a folder there stops it half-way),
 * git keeps the checkout's identity in .git, and build/ is where edgebuild
 * looks for the ISO it verifies.
 */
const RESERVED: readonly { path: string; why: string; fix: string }[] = [
  { path: 'user-data', why: 'is written by edgebuild itself', fix: 'set the user-data with userData: or --user-data' },
  { path: '.arg', why: 'is written by edgebuild itself', fix: 'set .arg values with arg: or --arg' },
  { path: '.git', why: 'is written by edgebuild itself', fix: 'copy the file to another place in the checkout' },
  { path: 'build', why: 'is where the build writes the ISO', fix: 'copy the file to another place in the checkout; edgebuild verifies what the build leaves in build/' },
];

/**
 * `files[index].to`, normalised (`./user-data`, `build/../.arg` and a
 * trailing slash name what they resolve to): relative, inside the checkout,
 * and none of the RESERVED places or anything under them.
 */
function checkDestination(to: string, index: number, place: Place): string {
  const clean = posix.normalize(to).replace(/(.)\/+$/, '$1');
  const entry = `files[${index}].to ${JSON.stringify(to)}`;
  if (posix.isAbsolute(clean) || clean === '.' || clean === '..' || clean.startsWith('../')) {
    throw inputErrorAt(place, `${entry} is outside the CanvOS checkout`, { code: 'config-files', fix: 'give "to" as a path relative to the checkout, without ..' });
  }
  const reserved = RESERVED.find((r) => clean === r.path || clean.startsWith(`${r.path}/`));
  if (reserved) throw inputErrorAt(place, `${entry} ${reserved.why}`, { code: 'config-files', fix: reserved.fix });
  return clean;
}

/** Parses and validates a build config; throws InputError (exit 2) with file:line:col. */
export function parseBuildConfig(source: string, file: string): BuildConfig {
  const { data, doc, locate } = parseYamlWithSchema<BuildConfig & { arg?: Record<string, unknown> }>(source, file, {
    validate: validateBuildConfig as Validator,
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
  if (data.files) data.files = data.files.map((f, i) => ({ ...f, to: checkDestination(f.to, i, locate(['files', i, 'to'])) }));
  return data as BuildConfig;
}
