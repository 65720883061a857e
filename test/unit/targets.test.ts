/** Which targets `edgebuild iso` verifies, and the MAAS image name earthly.sh derives (CanvOS v4.10.0). */
import { describe, expect, test } from 'vitest';
import { isoTargetIssue, maasImageFile, targetKind } from '../../src/core/targets.js';

describe('maasImageFile', () => {
  test.each([
    [{}, 'kairos-ubuntu-maas.raw.gz'],
    [{ MAAS_IMAGE_NAME: '' }, 'kairos-ubuntu-maas.raw.gz'],
    [{ MAAS_IMAGE_NAME: 'edge-maas' }, 'edge-maas.raw.gz'],
    // earthly.sh strips `.raw.gz`, then `.raw`, before adding `.raw.gz` back.
    [{ MAAS_IMAGE_NAME: 'edge-maas.raw.gz' }, 'edge-maas.raw.gz'],
    [{ MAAS_IMAGE_NAME: 'edge-maas.raw' }, 'edge-maas.raw.gz'],
  ])('%o → build/%s', (arg, file) => {
    expect(maasImageFile(arg)).toBe(file);
  });
});

test.each(['+iso', '+iso-image', '+uki-genkey', '+maas-image'])('%s runs through edgebuild iso, verified', (target) => {
  expect(targetKind(target)).not.toBe('unknown');
  expect(isoTargetIssue(target, false)).toBeUndefined();
});
