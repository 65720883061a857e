/**
 * The end of each command's --help: real examples and the exit codes, as `gh`
 * does. test/integration/docsCommands.test.ts runs every example that needs no
 * build host or published ISO against a fixture, so these cannot drift.
 */
export interface HelpExample {
  command: string;
  /** Why the docs test does not run it (it needs a build host or an ISO). */
  needs?: string;
}

export const HELP_EXAMPLES: Record<string, HelpExample[]> = {
  iso: [
    { command: 'edgebuild iso --dry-run --tag latest --user-data user-data/default.yaml' },
    { command: 'edgebuild iso --tag v4.5.15 --config build-configs/default.yaml', needs: 'a build host' },
    { command: 'edgebuild iso --dry-run --json --arg K8S_DISTRIBUTION=rke2 --skip-check all' },
  ],
  doctor: [
    { command: 'edgebuild doctor', needs: 'a build host' },
    { command: 'edgebuild doctor --json --skip-check privileged', needs: 'a build host' },
  ],
  tags: [{ command: 'edgebuild tags' }, { command: 'edgebuild tags --json' }],
  versions: [{ command: 'edgebuild versions --tag latest' }, { command: 'edgebuild versions --tag v4.5.15 --json' }],
  verify: [
    { command: 'edgebuild verify out/edgebuild/palette-edge-installer.iso', needs: 'a published ISO' },
    { command: 'edgebuild verify lab-installer.iso --manifest lab-manifest.json', needs: 'a published ISO' },
  ],
  remaster: [
    { command: 'edgebuild remaster out/edgebuild/palette-edge-installer.iso -u new.yaml -n', needs: 'a published ISO' },
    { command: 'edgebuild remaster lab.iso --user-data new.yaml --out out/remastered', needs: 'a published ISO' },
  ],
  'provider-images': [
    { command: 'edgebuild provider-images --tag v4.6.24 --push', needs: 'a build host and a registry' },
    { command: 'edgebuild provider-images -c build-configs/rke2.yaml -k 1.29.0 --dry-run', needs: 'a build host' },
  ],
  push: [
    { command: 'edgebuild push out/edgebuild --to registry.example.com/edge/iso:v4.9.38', needs: 'a published ISO and a registry' },
    { command: 'edgebuild push out/edgebuild --to localhost:5000/edge/iso:lab --plain-http', needs: 'a published ISO and a registry' },
  ],
  pull: [
    { command: 'edgebuild pull registry.example.com/edge/iso:v4.9.38 --out out/pulled', needs: 'a registry' },
    { command: 'edgebuild pull registry.example.com/edge/iso@sha256:<digest> --json', needs: 'a registry' },
  ],
  matrix: [{ command: 'edgebuild matrix' }, { command: 'edgebuild matrix build-configs/default.yaml --json' }],
  registries: [{ command: 'edgebuild registries' }, { command: 'edgebuild registries --distro k3s --out out/registries' }],
  sites: [
    { command: 'edgebuild sites --sites sites.csv --template site-user-data.yaml', needs: 'the sites table and template of docs/sites.md, which that page runs' },
    { command: 'edgebuild sites -s sites.csv -t site-user-data.yaml --out out/sites --json', needs: 'the sites table and template of docs/sites.md, which that page runs' },
  ],
};

const EXIT_CODES = `Exit codes:
  0    success (built, up to date, planned, checks passed)
  1    runtime failure (git or the network, Docker, the build, verification)
  2    invalid input or usage
  3    preflight failed (a build host check)
  130  interrupted`;

export function helpFooter(command: string): string {
  const examples = HELP_EXAMPLES[command] ?? [];
  return `${examples.length ? `\nExamples:\n${examples.map((e) => `  $ ${e.command}`).join('\n')}\n` : ''}\n${EXIT_CODES}`;
}
