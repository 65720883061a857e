/**
 * `sha256sum` output files (`<hex>  <name>`, or `<hex> *<name>` in binary
 * mode), as CanvOS's build-iso writes them and as `sha256sum -c` reads them.
 * Pure.
 */

export interface ChecksumLine {
  sha256: string;
  name: string;
}

const LINE = /^([0-9a-fA-F]{64}) [ *](.+)$/;

/** The entries of a .sha256 file; lines that are not entries are ignored. */
export function parseChecksumFile(text: string): ChecksumLine[] {
  return text
    .split('\n')
    .map((l) => LINE.exec(l.replace(/\r$/, '')))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ sha256: m[1]!.toLowerCase(), name: m[2]!.replace(/^\.\//, '') }));
}

/** One line checkable with `sha256sum -c` from the file's directory. */
export function formatChecksumLine(sha256: string, name: string): string {
  return `${sha256}  ${name}\n`;
}
