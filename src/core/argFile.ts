/**
 * CanvOS's `.arg` file. earthly.sh reads it with bash (`source .arg`) and
 * Earthly reads the same file as its own arg file; both must read the same
 * values. Bash and Earthly's reader (godotenv) differ on unquoted spaces,
 * `#`, `$` and double quotes, so a value is written unquoted when it uses only
 * characters both take literally, single-quoted when it has others that both
 * take literally inside single quotes, and refused otherwise. Pure.
 */

import { controlCharacterIn } from './text/controlCharacters.js';

export type ArgValues = Record<string, string>;

export interface ArgIssue {
  key: string;
  message: string;
  fix: string;
}

/** Characters that bash and Earthly's .arg reader both take literally, unquoted. */
const PLAIN_VALUE = /^[A-Za-z0-9_./:@%+,=-]*$/;
/**
 * Refused: what single quotes cannot hold for both parsers (quote, backslash,
 * line breaks), and `$` / backtick, which users write expecting an expansion
 * or command substitution that a literal value would silently not do.
 */
const UNQUOTABLE = /['"\\\n\r$`]/;
const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

type Rule = { kind: 'enum'; values: readonly string[] } | { kind: 'boolean' } | { kind: 'string' } | { kind: 'fileName' };

/**
 * A plain file name: the build writes `build/<ISO_NAME>.iso` and edgebuild
 * publishes `<ISO_NAME>.iso` into --out, so a `/` or `..` would put files
 * anywhere the user can write.
 */
const FILE_NAME = /^[A-Za-z0-9._-]+$/;
export const isPlainFileName = (name: string): boolean => FILE_NAME.test(name) && name !== '.' && name !== '..';

/** The keys CanvOS's `.arg.template` documents, with what each may hold. */
export const KNOWN_ARGS: Readonly<Record<string, Rule>> = {
  CUSTOM_TAG: { kind: 'string' },
  IMAGE_REGISTRY: { kind: 'string' },
  IMAGE_REPO: { kind: 'string' },
  OS_DISTRIBUTION: { kind: 'string' },
  OS_VERSION: { kind: 'string' },
  // Checked against the tag's own k8s_version.json once the tag is known (core/tagRules.ts).
  K8S_DISTRIBUTION: { kind: 'string' },
  K8S_VERSION: { kind: 'string' },
  ISO_NAME: { kind: 'fileName' },
  ARCH: { kind: 'enum', values: ['amd64', 'arm64'] },
  HTTP_PROXY: { kind: 'string' },
  HTTPS_PROXY: { kind: 'string' },
  NO_PROXY: { kind: 'string' },
  PROXY_CERT_PATH: { kind: 'string' },
  UPDATE_KERNEL: { kind: 'boolean' },
  CLUSTERCONFIG: { kind: 'string' },
  CIS_HARDENING: { kind: 'boolean' },
  EDGE_CUSTOM_CONFIG: { kind: 'string' },
  FIPS_ENABLED: { kind: 'boolean' },
  IS_UKI: { kind: 'boolean' },
  UKI_BRING_YOUR_OWN_KEYS: { kind: 'boolean' },
  INCLUDE_MS_SECUREBOOT_KEYS: { kind: 'boolean' },
  AUTO_ENROLL_SECUREBOOT_KEYS: { kind: 'boolean' },
  EFI_MAX_SIZE: { kind: 'string' },
  EFI_IMG_SIZE: { kind: 'string' },
  CMDLINE: { kind: 'string' },
  BASE_IMAGE: { kind: 'string' },
  OSBUILDER_IMAGE: { kind: 'string' },
  DISABLE_SELINUX: { kind: 'boolean' },
  FORCE_INTERACTIVE_INSTALL: { kind: 'boolean' },
  TWO_NODE: { kind: 'boolean' },
  ARM64_NODE: { kind: 'boolean' },
  UBUNTU_PRO_ATTACH: { kind: 'boolean' },
  // A secret; refused on tags whose earthly.sh reads it from the environment (core/tagRules.ts).
  UBUNTU_PRO_KEY: { kind: 'string' },
};

/** Defaults edgebuild writes when the config says nothing (CanvOS's own template values). */
export const DEFAULT_ARGS: Readonly<ArgValues> = {
  CUSTOM_TAG: 'demo',
  IMAGE_REGISTRY: 'ttl.sh',
  OS_DISTRIBUTION: 'ubuntu',
  OS_VERSION: '22.04',
  K8S_DISTRIBUTION: 'k3s',
  ISO_NAME: 'palette-edge-installer',
  ARCH: 'amd64',
};

const SHOWN_CHARS = (value: string): string =>
  [...new Set([...value].filter((c) => UNQUOTABLE.test(c)))]
    .map((c) => (c === '\n' ? 'a newline' : c === '\r' ? 'a carriage return' : c === '"' ? 'a double quote' : c === "'" ? 'a single quote' : `"${c}"`))
    .join(', ');

/** Problems that make the values unusable (errors) or suspicious (warnings). */
export function checkArgs(values: ArgValues): { errors: ArgIssue[]; warnings: ArgIssue[] } {
  const errors: ArgIssue[] = [];
  const warnings: ArgIssue[] = [];
  for (const [key, value] of Object.entries(values)) {
    if (!KEY.test(key)) {
      errors.push({ key, message: `"${key}" is not a valid .arg key`, fix: 'use letters, digits and underscores, not starting with a digit' });
      continue;
    }
    if (UNQUOTABLE.test(value)) {
      errors.push({
        key,
        message: `${key} contains ${SHOWN_CHARS(value)}, which bash and Earthly cannot both read from .arg`,
        fix: `write ${key} as a literal value without quotes, backslashes, $, backticks or line breaks`,
      });
      continue;
    }
    // Bash cannot hold NUL (it drops it; godotenv keeps it), and no CanvOS
    // setting has a use for another control character, which would reach the
    // terminal when the plan is printed.
    const control = controlCharacterIn(value);
    if (control !== undefined) {
      errors.push({ key, message: `${key} contains the control character ${control}, which bash and Earthly do not read alike from .arg`, fix: `remove the control character from ${key}` });
      continue;
    }
    const rule = KNOWN_ARGS[key];
    if (!rule) {
      warnings.push({ key, message: `${key} is not a .arg key edgebuild knows; it is passed through unchanged`, fix: 'check the spelling against CanvOS .arg.template' });
    } else if (rule.kind === 'enum' && !rule.values.includes(value)) {
      errors.push({ key, message: `${key}=${value} is not one of ${rule.values.join(', ')}`, fix: `set ${key} to one of ${rule.values.join(', ')}` });
    } else if (rule.kind === 'fileName' && !isPlainFileName(value)) {
      errors.push({ key, message: `${key}=${value} is not a plain file name`, fix: `set ${key} to letters, digits, ".", "_" and "-" only (not "." or ".."), e.g. ${key}=palette-edge-installer; it names the files published into --out` });
    } else if (rule.kind === 'boolean' && value !== 'true' && value !== 'false') {
      errors.push({ key, message: `${key}=${value} is not a boolean`, fix: `set ${key} to true or false` });
    }
  }
  return { errors, warnings };
}

/** A value as written in .arg: bare when both parsers read it literally, else single-quoted. */
export function quoteArgValue(value: string): string {
  return PLAIN_VALUE.test(value) ? value : `'${value}'`;
}

/** Renders `.arg`: one KEY=VALUE a line, in the order given; comments only on their own lines. */
export function renderArgFile(values: ArgValues): string {
  const lines = Object.entries(values).map(([key, value]) => `${key}=${quoteArgValue(value)}`);
  return `# Written by edgebuild. Read by bash (earthly.sh) and Earthly alike.\n${lines.join('\n')}\n`;
}

/** Parses `KEY=VALUE` from `--arg`. */
export function parseArgFlag(flag: string): [string, string] | undefined {
  const eq = flag.indexOf('=');
  if (eq <= 0) return undefined;
  return [flag.slice(0, eq), flag.slice(eq + 1)];
}
