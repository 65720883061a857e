import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { CommandContext } from '../context.js';
import { InputError, formatPlace } from '../../errors.js';
import { octalMode } from '../../core/manifest.js';
import { redact } from '../../core/secrets.js';
import { parseRegistries } from '../../core/registries/parse.js';
import { generateRegistries } from '../../core/registries/generate.js';
import type { Distribution } from '../../core/registries/types.js';
import { readCredentialProviderScript } from '../../adapters/assets.js';
import { directoryPath } from '../../adapters/dirPath.js';
import { atomicWriteFile, readUserFile } from '../../adapters/files.js';

interface Flags {
  config?: string;
  distro?: Distribution;
  out?: string;
  strict?: boolean;
  json?: boolean;
}

const DEFAULT_CONFIG = 'build-configs/registries.yaml';

export async function registriesCommand({ options, io, out }: CommandContext<Flags>): Promise<number> {
  const configArg = options.config ?? (existsSync(resolve(io.cwd, DEFAULT_CONFIG)) ? DEFAULT_CONFIG : undefined);
  if (!configArg) {
    throw new InputError(`no registries file: ${DEFAULT_CONFIG} does not exist`, { code: 'registries-missing', fix: `pass --config <file> or create ${DEFAULT_CONFIG} (see the example in the edgebuild repository)` });
  }
  const configPath = resolve(io.cwd, configArg);
  const shown = relative(io.cwd, configPath) || configArg;
  const parsed = parseRegistries(await readUserFile(configPath, 'registries file', shown), shown);
  const generated = generateRegistries(parsed, { distribution: options.distro, providerScript: await readCredentialProviderScript() });

  const warnings = generated.findings.map((f) => ({ code: f.code, message: f.message, ...parsed.locate(f.at, f.key) }));
  for (const w of warnings) out.warn(`${formatPlace(w)}: ${w.message} [${w.code}]`);
  if (options.strict && warnings.length) {
    throw new InputError(`${shown}: ${warnings.length} registries warning${warnings.length === 1 ? '' : 's'} with --strict`, {
      code: 'registries-lint',
      fix: 'fix the warnings above, or run without --strict',
      details: { warnings },
    });
  }

  const outputs: { name: string; text: string }[] = [{ name: 'stages.yaml', text: generated.stagesYaml }];
  if (generated.kubeadmConfig) outputs.push({ name: 'kubeadm-config.yaml', text: generated.kubeadmConfig });
  const written: string[] = [];
  if (options.out) {
    const dir = resolve(io.cwd, options.out);
    await directoryPath(dir, '--out'); // a regular file is exit 2, not a failed mkdir
    // Literal passwords end up in the stages: keep such files private to their owner.
    const mode = generated.secrets.length ? 0o600 : 0o644;
    for (const o of outputs) {
      const path = join(dir, o.name);
      await atomicWriteFile(path, o.text, mode);
      written.push(relative(io.cwd, path) || path);
    }
  }

  const document = {
    distribution: generated.distribution,
    config: shown,
    kubeadmApi: generated.kubeadmApi ?? null,
    // JSON is for machines and logs: literal passwords never appear in it.
    stages: redact(generated.stagesYaml, generated.secrets),
    kubeadmConfig: generated.kubeadmConfig ?? null,
    files: generated.files.map((f) => ({ stage: f.stage, path: f.path, permissions: octalMode(f.permissions), secret: f.secret })),
    warnings,
    written,
  };
  const human = options.out
    ? [`wrote ${written.join(', ')}`, generated.kubeadmConfig ? `paste stages.yaml into the cluster profile and merge kubeadm-config.yaml into the Kubernetes layer's cluster.config (kubeadm ${generated.kubeadmApi})` : 'paste stages.yaml into the cluster profile'].join('\n')
    : outputs.map((o) => o.text).join('---\n');
  out.result(document, human);
  return 0;
}
