/**
 * `${env:NAME}` (and, for site templates, `${site:FIELD}`) placeholders.
 * `$${` is the escape for a literal `${`. Pure: values come from resolvers.
 */

export type Resolver = (name: string) => string | undefined;

export interface Expansion {
  text: string;
  /** Names looked up per namespace, for "unused column" checks. */
  used: { namespace: string; name: string }[];
  /** Values that came from the `env` namespace: secrets to redact everywhere. */
  secrets: string[];
}

export class MissingValueError extends Error {
  constructor(
    readonly namespace: string,
    readonly key: string,
  ) {
    super(`\${${namespace}:${key}} has no value`);
  }
}

const PATTERN = /\$\$\{|\$\{([a-z]+):([^}]*)\}/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export function hasPlaceholder(text: string): boolean {
  return /\$\{[a-z]+:[^}]*\}/.test(text.replace(/\$\$\{/g, ''));
}

/**
 * Expands the placeholders of the namespaces given. A placeholder of another
 * namespace, or a malformed name, is an error so typos do not pass silently.
 */
export function expand(text: string, resolvers: Record<string, Resolver>): Expansion {
  const used: Expansion['used'] = [];
  const secrets: string[] = [];
  const result = text.replace(PATTERN, (match, namespace: string | undefined, name: string | undefined) => {
    if (match === '$${') return '${';
    const resolve = resolvers[namespace!];
    if (!resolve) throw new UnknownPlaceholderError(match);
    if (!NAME.test(name!)) throw new UnknownPlaceholderError(match);
    const value = resolve(name!);
    if (value === undefined) throw new MissingValueError(namespace!, name!);
    used.push({ namespace: namespace!, name: name! });
    if (namespace === 'env' && value !== '') secrets.push(value);
    return value;
  });
  return { text: result, used, secrets };
}

export class UnknownPlaceholderError extends Error {
  constructor(readonly placeholder: string) {
    super(`unknown placeholder ${placeholder}`);
  }
}

// Redaction lives with the other secret handling; re-exported for existing importers.
export { redact } from './secrets.js';
