/**
 * yip/Kairos cloud-config stages, the format Palette cluster profile layers
 * carry: `stages.<stage>` is a list of steps; a step has a `name` and `files`,
 * each file `path`, `permissions`, `owner`, `group`, `content`
 * (mudler/yip pkg/schema/schema.go: Stage.Files []File{Path, Permissions uint32,
 * Owner, Group int, Content}, decoded with gopkg.in/yaml.v2 into those typed
 * fields; yaml.v3 reads octal the same way).
 *
 * Permissions are written as 0644: yaml.v2 decodes a leading-zero integer as
 * octal (YAML 1.1), which is how every Kairos example writes them. A YAML 1.2
 * reader would see decimal 644, so the document is produced as YAML 1.1 and
 * read back with Go's yaml.v2 in test/integration/registriesOracle.test.ts.
 * Pure.
 */
import { Document, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import type { StageName, StageStep } from './types.js';

function fileNode(doc: Document, file: StageStep['files'][number]): YAMLMap {
  const node = new YAMLMap();
  node.add(doc.createPair('path', file.path));
  const mode = new Scalar(file.permissions);
  mode.format = 'OCT';
  node.add(doc.createPair('permissions', mode));
  node.add(doc.createPair('owner', file.owner));
  node.add(doc.createPair('group', file.group));
  const content = new Scalar(file.content);
  content.type = Scalar.BLOCK_LITERAL;
  node.add(doc.createPair('content', content));
  return node;
}

export function renderStages(stages: Partial<Record<StageName, StageStep[]>>, header: string): string {
  const doc = new Document(null, { version: '1.1' });
  const stagesNode = new YAMLMap();
  for (const [stage, steps] of Object.entries(stages)) {
    if (!steps?.length) continue;
    const list = new YAMLSeq();
    for (const step of steps) {
      const stepNode = new YAMLMap();
      stepNode.add(doc.createPair('name', step.name));
      const files = new YAMLSeq();
      for (const file of step.files) files.items.push(fileNode(doc, file));
      stepNode.add(doc.createPair('files', files));
      list.items.push(stepNode);
    }
    stagesNode.add(doc.createPair(stage, list));
  }
  const root = new YAMLMap();
  root.add(doc.createPair('stages', stagesNode));
  doc.contents = root;
  doc.commentBefore = header;
  return doc.toString({ lineWidth: 0 });
}
