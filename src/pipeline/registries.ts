/**
 * `edgebuild registries`: read a registries file, turn it into cluster profile
 * snippets and, with --out, write them. The cli file parses options and prints.
 */
import { dirname, join, relative, resolve } from 'node:path';
import { InputError, type Place } from '../errors.js';
import { parseRegistries } from '../core/registries/parse.js';
import { generateRegistries, type Generated } from '../core/registries/generate.js';
import type { Distribution } from '../core/registries/types.js';
import { readCredentialProviderScript } from '../adapters/assets.js';
import { directoryPath } from '../adapters/dirPath.js';
import { atomicWriteFile, listDir, readUserFile } from '../adapters/files.js';

export const DEFAULT_REGISTRIES_FILE = 'build-configs/registries.yaml';

export interface RegistriesInput {
  config: string | undefined;
  distribution: Distribution | undefined;
  out: string | undefined;
  strict: boolean;
  cwd: string;
  onWarning: (warning: RegistriesWarning) => void;
}

export interface RegistriesWarning extends Place {
  code: string;
  message: string;
}

export interface RegistriesReport {
  /** The registries file as shown to the user (relative to the working directory). */
  config: string;
  generated: Generated;
  outputs: { name: string; text: string }[];
  warnings: RegistriesWarning[];
  /** Files written under --out, as shown to the user. */
  written: string[];
}

/** Step 1: the registries file named, or the default one when it exists. */
async function registriesFile(config: string | undefined, cwd: string): Promise<{ path: string; shown: string }> {
  if (config === undefined) {
    const names = await listDir(resolve(cwd, dirname(DEFAULT_REGISTRIES_FILE)));
    if (!names?.includes('registries.yaml')) {
      throw new InputError(`no registries file: ${DEFAULT_REGISTRIES_FILE} does not exist`, {
        code: 'registries-missing',
        fix: `pass --config <file> or create ${DEFAULT_REGISTRIES_FILE} (see the example in the edgebuild repository)`,
      });
    }
  }
  const path = resolve(cwd, config ?? DEFAULT_REGISTRIES_FILE);
  return { path, shown: relative(cwd, path) || (config ?? DEFAULT_REGISTRIES_FILE) };
}

/** Step 3: the warnings, which --strict makes an exit 2. */
function checkWarnings(warnings: RegistriesWarning[], strict: boolean, shown: string): void {
  if (!strict || warnings.length === 0) return;
  throw new InputError(`${shown}: ${warnings.length} registries warning${warnings.length === 1 ? '' : 's'} with --strict`, {
    code: 'registries-lint',
    fix: 'fix the warnings above, or run without --strict',
    details: { warnings },
  });
}

/** Step 4: stages.yaml (+ kubeadm-config.yaml) into --out, private when they hold literal passwords. */
async function writeOutputs(outputs: RegistriesReport['outputs'], out: string, cwd: string, secret: boolean): Promise<string[]> {
  const dir = resolve(cwd, out);
  await directoryPath(dir, '--out'); // a regular file is exit 2, not a failed mkdir
  const written: string[] = [];
  for (const o of outputs) {
    const path = join(dir, o.name);
    await atomicWriteFile(path, o.text, secret ? 0o600 : 0o644);
    written.push(relative(cwd, path) || path);
  }
  return written;
}

export async function generateRegistriesFiles(input: RegistriesInput): Promise<RegistriesReport> {
  const { path, shown } = await registriesFile(input.config, input.cwd);
  const parsed = parseRegistries(await readUserFile(path, 'registries file', shown), shown);
  const generated = generateRegistries(parsed, { distribution: input.distribution, providerScript: await readCredentialProviderScript() });
  const warnings = generated.findings.map((f) => ({ code: f.code, message: f.message, ...parsed.locate(f.at, f.key) }));
  warnings.forEach(input.onWarning);
  checkWarnings(warnings, input.strict, shown);
  const outputs = [{ name: 'stages.yaml', text: generated.stagesYaml }];
  if (generated.kubeadmConfig) outputs.push({ name: 'kubeadm-config.yaml', text: generated.kubeadmConfig });
  const written = input.out ? await writeOutputs(outputs, input.out, input.cwd, generated.secrets.length > 0) : [];
  return { config: shown, generated, outputs, warnings, written };
}
