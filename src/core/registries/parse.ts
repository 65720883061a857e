/**
 * Reads a registries file: YAML, then the JSON Schema shipped beside the
 * example (build-configs/registries.schema.json), so editors and edgebuild
 * agree. Every error is exit 2 with file:line:col and a fix. Pure.
 */
import { inputErrorAt, type Place } from '../../errors.js';
import { controlCharacterIn } from '../text/controlCharacters.js';
import { dotted, parseYamlWithSchema, type Validator } from '../yamlSchema.js';
import { validate as validateRegistries } from '../validators/registries.js';
import type { RegistriesFile, YamlPath } from './types.js';


export interface ParsedRegistries {
  data: RegistriesFile;
  /** file:line:col of a path in the file (the key when `key` is true). */
  locate(path: YamlPath, key?: boolean): Place;
}

export function parseRegistries(source: string, file: string): ParsedRegistries {
  const { data, locate } = parseYamlWithSchema<RegistriesFile>(source, file, {
    validate: validateRegistries as Validator,
    schemaFile: 'build-configs/registries.schema.json',
    code: 'registries',
    propertyName: (path) => ({
      what: path[0] === 'mirrors' ? 'a registry host[:port] or "*"' : 'a registry host[:port] without scheme or path',
      fix: 'write the registry as it starts an image name, e.g. harbor.company.local or registry.local:5000',
    }),
  });
  refuseControlCharacters(data, [], locate);
  return { data, locate };
}

/**
 * Every name and value lands in files other programs read (yip's and K3s's
 * yaml.v2, containerd's TOML, the kubelet's JSON): a control character in one
 * would be refused there or read differently, so it is refused here (YAML's
 * "\x7f" or "\u2028" escapes let a file carry one).
 */
function refuseControlCharacters(value: unknown, path: YamlPath, locate: ParsedRegistries['locate']): void {
  // A key is named by its parent: printed, the character itself would break the message's line.
  const check = (text: string, at: YamlPath, key: boolean): void => {
    const found = controlCharacterIn(text);
    if (found === undefined) return;
    const what = key ? `a key of ${dotted(path)}` : `the value of ${dotted(path)}`;
    throw inputErrorAt(locate(at, key), `${what} contains the control character ${found}`, {
      code: 'registries-control-character',
      fix: `remove it from ${dotted(path)}: registry names, credentials and paths are written into YAML, TOML and JSON files that cannot all carry it`,
    });
  };
  if (typeof value === 'string') check(value, path, false);
  else if (Array.isArray(value)) value.forEach((item, i) => refuseControlCharacters(item, [...path, i], locate));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      check(k, [...path, k], true);
      refuseControlCharacters(v, [...path, k], locate);
    }
  }
}
