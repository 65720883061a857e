/** Values that test what edgebuild writes for other programs to read. */

/** Legitimate values that YAML 1.1 reads as something else when written plain, or that need quoting. */
export const HOSTILE = ['yes', 'on', 'NO', '0644', '0x1F', '1:30', '1_000', '0b101', '2001-12-14', '~', 'null', '', `it's "quoted"`, 'back\\slash\\n', 'ünï ☃ 😀', 'a #b', '#start', '  lead', 'trail  ', 'x: y', '- dash', '@at', '`tick`', '%pct', '!bang', '&amp', '*star', '{brace}', '[br]', '|pipe', '>gt', 'tab\there', '?q', '"', "'", '\\'];

/** NUL, C0/C1 controls, DEL, YAML 1.1's extra line breaks, BOM, CR/LF: refused, or quoted so they read back exactly (issue 11 item 8). */
export const CONTROL = ['\0', '\x01', '\x1b', '\x0b', '\x0c', '\x7f', '\u0085', '\u009b', '\u2028', '\u2029', '\ufeff', 'a\nb', 'a\r\nb', 'a\rb'];
