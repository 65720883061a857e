import type { CommanderError} from 'commander';
import { Command, Option } from 'commander';
import { textWidth, type Io } from './io.js';
import type { CommandContext } from './context.js';
import { Output } from './output.js';
import { InputError } from '../errors.js';
import { version } from '../version.js';
import { DEFAULT_OUT_DIR, DEFAULT_WORK_DIR } from '../pipeline/options.js';
import { helpFooter } from './helpExamples.js';


type Handler = (ctx: CommandContext<Record<string, unknown>>, args: string[]) => Promise<number>;

/**
 * Command modules are imported only when their command runs, so `--help` and
 * `--version` load no heavy modules (dockerode, listr2, ...).
 */
const handlers: Record<string, () => Promise<Handler>> = {
  doctor: async () => (await import('./commands/doctor.js')).doctorCommand as Handler,
  iso: async () => (await import('./commands/iso.js')).isoCommand as Handler,
  tags: async () => (await import('./commands/tags.js')).tagsCommand as Handler,
  versions: async () => (await import('./commands/versions.js')).versionsCommand as Handler,
  verify: async () => (await import('./commands/verify.js')).verifyCommand as Handler,
  matrix: async () => (await import('./commands/matrix.js')).matrixCommand as Handler,
  registries: async () => (await import('./commands/registries.js')).registriesCommand as Handler,
  sites: async () => (await import('./commands/sites.js')).sitesCommand as Handler,
  remaster: async () => (await import('./commands/remaster.js')).remasterCommand as Handler,
  'provider-images': async () => (await import('./commands/providerImages.js')).providerImagesCommand as Handler,
  push: async () => (await import('./commands/push.js')).pushCommand as Handler,
  pull: async () => (await import('./commands/pull.js')).pullCommand as Handler,
};

/** For a registry that speaks plain http (loopback, a lab): https is the default, as for docker. */
function plainHttp(): Option {
  return new Option('--plain-http', 'talk to the registry over http:// instead of https://');
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function commaList(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];
}

/** The options every building command ends with, in this order; the texts that differ per command. */
function buildOptions(command: Command, text: { out: string; force: string; dryRun: string }): Command {
  return command
    .addOption(new Option('--cache-dir <dir>', CACHE_DIR_HELP))
    .option('--work-dir <dir>', `where the CanvOS checkout is made (default: ${DEFAULT_WORK_DIR})`)
    .option('-o, --out <dir>', text.out)
    .option('--skip-check <ids>', 'preflight checks to skip, comma-separated, or "all" (repeatable)', commaList)
    .option('--force', text.force)
    .option('--no-wait', 'fail at once when another build holds the Docker engine')
    .option('-n, --dry-run', text.dryRun)
    .option('--json', 'print one JSON document on stdout; progress goes to stderr');
}

/** verify and remaster: FileHashCache. */
const REMEMBER_HELP = 'where the sha256 of an ISO read here is remembered, so remaster need not read it again while it is unchanged (default: $XDG_CACHE_HOME/edgebuild or ~/.cache/edgebuild)';
const CACHE_DIR_HELP = 'where the bare CanvOS mirror is cached (default: $XDG_CACHE_HOME/edgebuild or ~/.cache/edgebuild)';

export function buildProgram(io: Io, onResult: (code: number) => void): Command {
  const program = new Command('edgebuild')
    .description('Build Palette Edge installer ISOs with CanvOS, verified end to end.')
    .version(version, '-V, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      // Commander wraps help to stdout.columns, one character per line when a terminal reports 0.
      getOutHelpWidth: () => textWidth(io),
      getErrHelpWidth: () => textWidth(io),
      outputError: () => undefined, // commander's own errors become InputError below
    });

  const action =
    (name: string) =>
    async (...raw: unknown[]): Promise<void> => {
      const command = raw.at(-1) as Command;
      const options = command.opts();
      const args = command.args;
      const out = new Output(io, Boolean(options.json));
      const handler = await handlers[name]!();
      onResult(await handler({ options, io, out }, args));
    };

  const cacheDir = new Option('--cache-dir <dir>', CACHE_DIR_HELP);
  const repo = new Option('--repo <url>', 'CanvOS repository: URL, local path or file:// URL (default: https://github.com/spectrocloud/CanvOS.git)');

  const iso = program
    .command('iso')
    .description('check out CanvOS at a tag, prepare user-data and .arg, check the host, build, verify and publish the ISO')
    .option('-t, --tag <tag>', 'CanvOS tag to build, or "latest" for the highest stable release')
    .addOption(repo)
    .option('-c, --config <file>', 'build config (default: build-configs/default.yaml when present)')
    .option('-u, --user-data <file>', 'user-data cloud-config (overrides the build config)')
    .option('-a, --arg <KEY=VALUE>', 'set a .arg value (repeatable; overrides the build config)', collect)
    .option('--target <target>', 'Earthly target: +iso or an +iso-* variant (default: +iso); provider images: edgebuild provider-images')
    .option('--target-unverified', 'run a --target edgebuild cannot verify, checking only its exit status; nothing is published')
    .option('--keep-webhook', 'do not disable stylus.imageRedirectWebhook in the user-data');
  buildOptions(iso, {
    out: `where the ISO, its .sha256 and manifest.json are published (default: ${DEFAULT_OUT_DIR})`,
    force: 'rebuild even when --out holds a verified build of the same inputs',
    dryRun: 'prepare the checkout and print the plan; do not build (failing host checks are warnings)',
  }).action(action('iso'));

  const providerImages = program
    .command('provider-images')
    .description('build the provider images (one OS + Kubernetes image per version) with CanvOS, verify them on the engine, optionally push them, and publish os-pack.yaml for the cluster profile')
    .option('-t, --tag <tag>', 'CanvOS tag to build, or "latest" for the highest stable release')
    .addOption(repo)
    .option('-c, --config <file>', 'build config (default: build-configs/default.yaml when present)')
    .option('-a, --arg <KEY=VALUE>', 'set a .arg value (repeatable; overrides the build config)', collect)
    .option('-k, --k8s-version <version>', "Kubernetes version to build (repeatable; checked against the tag's k8s_version.json; default: every version it lists for K8S_DISTRIBUTION)", collect)
    .option('--registries <file>', 'a registries file (see edgebuild registries): its stages join the OS layer values in os-pack.yaml')
    .option('--push', "push each image through the Docker engine with the docker CLI's credentials and confirm its digest with the registry");
  buildOptions(providerImages, {
    out: `where provider-images.json and os-pack.yaml are published (default: ${DEFAULT_OUT_DIR})`,
    force: 'rebuild even when --out records these images, still present',
    dryRun: 'prepare the checkout and print the versions, image names and build commands; do not build',
  })
    .action(action('provider-images'));

  program
    .command('doctor')
    .description('check the build host: CPUs, memory, disk, git, Docker engine and privileged containers (exit 3 when a check fails)')
    .option('-c, --config <file>', 'build config whose preflight: thresholds apply (default: build-configs/default.yaml when present)')
    .option('--work-dir <dir>', `the work dir whose filesystem is checked (default: ${DEFAULT_WORK_DIR})`)
    .option('--skip-check <ids>', 'checks to skip, comma-separated, or "all" (repeatable)', commaList)
    .option('--json', 'print one JSON document on stdout')
    .action(action('doctor'));

  program
    .command('tags')
    .description('list CanvOS tags, newest first, marking pre-releases and which one "latest" is')
    .addOption(repo)
    .addOption(cacheDir)
    .option('--json', 'print JSON')
    .action(action('tags'));

  program
    .command('versions')
    .description("list the Kubernetes versions a CanvOS tag builds, per distribution (from the tag's k8s_version.json)")
    .option('-t, --tag <tag>', 'CanvOS tag, or "latest"')
    .addOption(repo)
    .addOption(cacheDir)
    .option('--json', 'print JSON')
    .action(action('versions'));

  program
    .command('verify')
    .description('re-check a published ISO against its .sha256, manifest.json and the user-data embedded in it')
    .argument('<iso>', 'the published ISO, e.g. out/edgebuild/palette-edge-installer.iso')
    .option('-m, --manifest <file>', 'the manifest published with the ISO (default: manifest.json beside it)')
    .option('--ref <ref>', 'also check a pushed artifact (registry/repo:tag or @sha256:…) against the local manifest; downloads only its manifest')
    .addOption(plainHttp())
    .option('--cache-dir <dir>', REMEMBER_HELP)
    .option('--json', 'print one JSON document on stdout')
    .action(action('verify'));

  program
    .command('push')
    .description('push a published set (ISO, .sha256, manifest.json) to a registry as one OCI artifact; prints its digest')
    .argument('<source>', 'the --out of edgebuild iso, or the ISO in it, e.g. out/edgebuild')
    .requiredOption('--to <ref>', 'registry/repository:tag to push to, e.g. registry.example.com/edge/installer:v4.9.38')
    .addOption(plainHttp())
    .option('--json', 'print one JSON document on stdout; progress goes to stderr')
    .addHelpText('after', '\nCredentials: docker login (~/.docker/config.json, credential helpers), or\nEDGEBUILD_REGISTRY_USERNAME / _PASSWORD in the environment; never on the\ncommand line.')
    .action(action('push'));

  program
    .command('pull')
    .description('pull an artifact pushed by edgebuild push, check every blob and verify the ISO before publishing it into --out')
    .argument('<ref>', 'registry/repository:tag or registry/repository@sha256:<digest>')
    .option('-o, --out <dir>', `where the ISO, its .sha256 and manifest.json are published (default: ${DEFAULT_OUT_DIR})`)
    .addOption(plainHttp())
    .option('--json', 'print one JSON document on stdout; progress goes to stderr')
    .action(action('pull'));

  program
    .command('remaster')
    .description('replace the user-data of a published installer ISO: a new verified ISO with the same boot setup, in seconds, without a build')
    .argument('<iso>', 'an ISO published by edgebuild iso (with its .sha256 and manifest.json), e.g. out/edgebuild/palette-edge-installer.iso')
    .option('-u, --user-data <file>', 'the new user-data cloud-config (overrides the build config)')
    .option('-c, --config <file>', 'build config whose userData: and keepWebhook: apply (default: build-configs/default.yaml when present)')
    .option('--keep-webhook', 'do not disable stylus.imageRedirectWebhook in the user-data')
    .option('-o, --out <dir>', 'where the new ISO, its .sha256 and manifest.json are published (default: remastered/ beside the input)')
    .option('--trust-input', 'accept an ISO without manifest.json (any CanvOS installer ISO), unchecked')
    .option('-n, --dry-run', 'print the plan and the user-data changes (key paths); write nothing')
    .option('--cache-dir <dir>', REMEMBER_HELP)
    .option('--json', 'print one JSON document on stdout; progress goes to stderr')
    .action(action('remaster'));

  program
    .command('matrix')
    .description('print the GitHub Actions build matrix of the build configs (default: build-configs/*.yaml)')
    .argument('[configs...]', 'build config files (default: every build config in build-configs/)')
    .option('--provider-images', "one entry per (config, Kubernetes version) for edgebuild provider-images, the versions from each config's K8S_VERSION or its tag's k8s_version.json")
    .addOption(cacheDir)
    .option('--json', 'print the matrix as an indented JSON document')
    .action(action('matrix'));

  program
    .command('registries')
    .description('generate cluster profile stages for registry mirrors and credentials (webhook off): containerd + kubelet credential provider for PXK-E, registries.yaml for K3s/RKE2')
    .option('-c, --config <file>', 'registries file (default: build-configs/registries.yaml when present)')
    .addOption(new Option('--distro <distribution>', 'Kubernetes distribution (overrides the file)').choices(['pxk-e', 'k3s', 'rke2']))
    .option('-o, --out <dir>', 'write stages.yaml (and kubeadm-config.yaml for PXK-E) into <dir> instead of printing them')
    .option('--strict', 'exit 2 when there are warnings')
    .option('--json', 'print one JSON document on stdout (literal passwords redacted)')
    .action(action('registries'));

  program
    .command('sites')
    .description('render a user-data template per edge site and write one small cidata ISO per site (no Docker, no root)')
    .requiredOption('-s, --sites <file>', 'sites file: *.csv with a header row, or *.yaml/*.yml list of maps; needs a "name" column')
    .requiredOption('-t, --template <file>', 'site user-data template (#cloud-config) with ${site:FIELD} and ${env:NAME} placeholders')
    .option('-o, --out <dir>', 'directory the ISOs and sites.json are published to, replaced as a whole (default: out/sites)')
    .option('--json', 'print one JSON document on stdout; progress goes to stderr')
    .action(action('sites'));

  for (const command of program.commands) command.addHelpText('after', helpFooter(command.name()));
  return program;
}

/**
 * Commander's own parse errors as one line naming the command's help. Its
 * messages end with a period; the `. Fix:` suffix adds its own.
 */
export function usageError(error: CommanderError, command?: string): InputError {
  const message = error.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ').replace(/\.+$/, '');
  return new InputError(message, { code: 'usage', fix: `see edgebuild ${command ? `${command} ` : ''}--help` });
}
