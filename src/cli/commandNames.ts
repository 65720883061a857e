/**
 * The CLI's commands by name, for main.ts before the CLI is loaded: each has
 * its own code cache (adapters/compileCache.ts). A test checks the list
 * against the program (test/unit/commandNames.test.ts).
 */
export const COMMAND_NAMES: readonly string[] = ['iso', 'provider-images', 'doctor', 'tags', 'versions', 'verify', 'push', 'pull', 'remaster', 'matrix', 'registries', 'sites'];
