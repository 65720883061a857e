import type { CommandContext } from '../context.js';
import { formatPlace } from '../../errors.js';
import { octalMode } from '../../core/manifest.js';
import { redact } from '../../core/secrets.js';
import type { Distribution } from '../../core/registries/types.js';
import { generateRegistriesFiles } from '../../pipeline/registries.js';

interface Flags {
  config?: string;
  distro?: Distribution;
  out?: string;
  strict?: boolean;
  json?: boolean;
}

export async function registriesCommand({ options, io, out }: CommandContext<Flags>): Promise<number> {
  const report = await generateRegistriesFiles({
    config: options.config,
    distribution: options.distro,
    out: options.out,
    strict: options.strict ?? false,
    cwd: io.cwd,
    onWarning: (w) => out.warn(`${formatPlace(w)}: ${w.message} [${w.code}]`),
  });
  const { generated, written } = report;
  const document = {
    status: 'ok',
    distribution: generated.distribution,
    config: report.config,
    kubeadmApi: generated.kubeadmApi ?? null,
    // JSON is for machines and logs: literal passwords never appear in it.
    stages: redact(generated.stagesYaml, generated.secrets),
    kubeadmConfig: generated.kubeadmConfig ?? null,
    files: generated.files.map((f) => ({ stage: f.stage, path: f.path, permissions: octalMode(f.permissions), secret: f.secret })),
    warnings: report.warnings,
    written,
  };
  const human = options.out
    ? [`wrote ${written.join(', ')}`, generated.kubeadmConfig ? `paste stages.yaml into the cluster profile and merge kubeadm-config.yaml into the Kubernetes layer's cluster.config (kubeadm ${generated.kubeadmApi})` : 'paste stages.yaml into the cluster profile'].join('\n')
    : report.outputs.map((o) => o.text).join('---\n');
  out.result(document, human);
  return 0;
}
