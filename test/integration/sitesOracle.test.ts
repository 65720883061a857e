/**
 * Issue 10 item 5: `sites` output under the yaml.v2 oracle. Each site's
 * user-data is read on the edge host by Kairos/yip with gopkg.in/yaml.v2; the
 * rendered text must mean the template with every `${site:}`/`${env:}` scalar
 * replaced by exactly the string it expands to — whatever the values hold —
 * and `permissions: 0600` still the mode 0600. Values no reader can take are
 * refused with exit 2 (issue 11 item 8), never written.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { compileTemplate, renderSite, type RenderedSite } from '../../src/core/sites/template.js';
import { InputError } from '../../src/errors.js';
import { buildGoYaml, haveGoYaml, leaves, sortedCanon, type GoYaml, type Reading } from './goYaml.js';
import { CONTROL, HOSTILE } from './hostileValues.js';
import { onlyDocument, substitutedMeaning } from './userDataOracle.js';

const TEMPLATE = `#cloud-config
stylus:
  site:
    name: \${site:name}
    edgeHostToken: \${env:TOKEN}
    paletteEndpoint: "\${site:endpoint}"
  imageRedirectWebhook:
    enable: false   # kept as written
plain: \${site:v}
double: "\${site:v}"
single: '\${site:v}'
inner: pre-\${site:v}-post   # a comment
escaped: $\${site:v} stays
list:
  - \${site:v}
  - 0644
flow: {a: "\${site:v}", b: yes}
literal: |
  echo \${site:v}
  done
folded: >-
  value \${site:v}
  more
stages:
  boot:
    - name: site \${site:name}
      files:
        - path: /etc/site-\${site:v}
          permissions: 0600
          owner: 0
          group: 0
          content: |
            V=\${site:v}
            T=\${env:TOKEN}
`;

/** Line breaks are fine in values (they become escapes); so are the hostile words. */
const VALUES = [...HOSTILE, 'a\nb', 'a\r\nb', 'end\n'];

type Outcome = { rendered: RenderedSite; values: { site: Record<string, string>; env: Record<string, string> } } | { refused: unknown };

describe.skipIf(!haveGoYaml)('site user-data read by yaml.v2 as the edge host reads it', () => {
  let go: GoYaml;
  let template: Reading;
  const outcomes = new Map<string, Outcome>();
  const readings = new Map<string, Reading>();
  const compiled = compileTemplate(TEMPLATE, 'user-data.tmpl.yaml');

  beforeAll(() => {
    go = buildGoYaml();
    for (const v of [...VALUES, ...CONTROL]) {
      const site = { name: `lab ${v}`, endpoint: v, v };
      const env = { TOKEN: v };
      try {
        const rendered = renderSite(compiled, { name: site.name, row: 2, place: { file: 'sites.csv', line: 2 }, value: (f) => site[f as keyof typeof site], env });
        outcomes.set(v, { rendered, values: { site, env } });
      } catch (error) {
        outcomes.set(v, { refused: error });
      }
    }
    const texts = [TEMPLATE, ...[...outcomes.values()].flatMap((o) => ('rendered' in o ? [o.rendered.text] : []))];
    go.readTexts(texts).forEach((r, i) => readings.set(texts[i]!, r));
    template = readings.get(TEMPLATE)!;
  });
  afterAll(() => go?.dispose());

  test.each(VALUES)('%j reads back exactly', (v) => {
    const o = outcomes.get(v)!;
    if ('refused' in o) throw o.refused;
    const output = onlyDocument(readings.get(o.rendered.text)!, 'rendered site');
    const expected = substitutedMeaning(onlyDocument(template, 'template'), o.values, go);
    expect(leaves(sortedCanon(output))).toEqual(leaves(expected));
    // The mode yip applies: 0600 is 384, not 600.
    expect(readings.get(o.rendered.text)!.yip!.Stages!.boot![0]!.Files![0]!.Permissions).toBe(0o600);
  });

  test.each(CONTROL)('%j: read back exactly, or exit 2 naming the site', (v) => {
    const o = outcomes.get(v)!;
    if ('refused' in o) {
      expect(o.refused).toBeInstanceOf(InputError);
      expect((o.refused as InputError).exitCode).toBe(2);
      expect((o.refused as InputError).message).not.toMatch(/[\n\r]/);
      return;
    }
    const reading = readings.get(o.rendered.text)!;
    expect(reading.error, 'yaml.v2 must accept what sites writes').toBeUndefined();
    expect(leaves(sortedCanon(onlyDocument(reading, 'rendered site')))).toEqual(leaves(substitutedMeaning(onlyDocument(template, 'template'), o.values, go)));
  });
});
