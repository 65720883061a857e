/** Fenced blocks of the Markdown pages, and the shell words of a documented command line. */

export interface DocBlock {
  page: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  /** The file name after the language (```csv sites.csv), if any. */
  file?: string;
  text: string;
  skip?: string;
}

export function fencedBlocks(page: string, markdown: string): DocBlock[] {
  const lines = markdown.split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)(?:[ \t]+(\S+))?\s*$/.exec(lines[i]!);
    if (!open || !open[1]) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    const skip = /^<!-- docs-test: skip: (.+) -->$/.exec(lines[start - 1] ?? '')?.[1];
    blocks.push({ page, line: start + 1, lang: open[1], ...(open[2] ? { file: open[2] } : {}), text: body.join('\n') + '\n', ...(skip ? { skip } : {}) });
  }
  return blocks;
}

/** Shell words: whitespace-separated, '…' and "…" quoting, a ` #` comment ends the line. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '#' && word === undefined) break;
    if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1);
      if (end < 0) throw new Error(`unclosed ${c} in: ${line}`);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else word = (word ?? '') + c;
  }
  if (word !== undefined) words.push(word);
  return words;
}
