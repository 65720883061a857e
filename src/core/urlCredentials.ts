/**
 * Credentials written into URLs (`scheme://user:pass@host`). Pure, and
 * apart from secrets.ts: git's adapter masks URLs without loading the YAML
 * package secrets.ts needs for its other forms.
 */
const URL_USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^@/\s]+@/gi;

/** `https://user:pass@host` → `https://***@host`, anywhere in the text. */
export function maskUrlCredentials(value: string): string {
  return value.replace(URL_USERINFO, '$1***@');
}

/** The user-info parts of URLs in `value` (`user:pass`), and each password alone. */
export function urlCredentials(value: string): string[] {
  const found: string[] = [];
  for (const m of value.matchAll(/[a-z][a-z0-9+.-]*:\/\/([^@/\s]+)@/gi)) {
    const userinfo = m[1]!;
    found.push(userinfo);
    const colon = userinfo.indexOf(':');
    if (colon >= 0 && colon < userinfo.length - 1) found.push(userinfo.slice(colon + 1));
  }
  return found;
}
