/**
 * Reads a registries file: YAML, then the JSON Schema shipped beside the
 * example (build-configs/registries.schema.json), so editors and edgebuild
 * agree. Every error is exit 2 with file:line:col and a fix. Pure.
 */
import { createRequire } from 'node:module';
import type { Place } from '../../errors.js';
import { parseYamlWithSchema } from '../yamlSchema.js';
import type { RegistriesFile, YamlPath } from './types.js';

const require = createRequire(import.meta.url);
export const registriesSchema = require('../../../build-configs/registries.schema.json') as object;

export interface ParsedRegistries {
  data: RegistriesFile;
  /** file:line:col of a path in the file (the key when `key` is true). */
  locate(path: YamlPath, key?: boolean): Place;
}

export function parseRegistries(source: string, file: string): ParsedRegistries {
  const { data, locate } = parseYamlWithSchema<RegistriesFile>(source, file, {
    schema: registriesSchema,
    schemaFile: 'build-configs/registries.schema.json',
    code: 'registries',
    propertyName: (path) => ({
      what: path[0] === 'mirrors' ? 'a registry host[:port] or "*"' : 'a registry host[:port] without scheme or path',
      fix: 'write the registry as it starts an image name, e.g. harbor.company.local or registry.local:5000',
    }),
  });
  return { data, locate };
}
