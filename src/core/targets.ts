/**
 * Which Earthly targets `edgebuild iso` knows how to verify. Every target
 * makes something different; expecting an ISO from each of them made a
 * successful `+build-provider-images` a failed "ISO missing". Pure.
 */

export type TargetKind = 'iso' | 'provider-images' | 'uki-genkey' | 'maas-image' | 'unknown';

export function targetKind(target: string): TargetKind {
  if (target === '+iso' || target.startsWith('+iso-')) return 'iso';
  if (target.startsWith('+build-provider-images')) return 'provider-images';
  if (target === '+uki-genkey') return 'uki-genkey';
  if (target === '+maas-image') return 'maas-image';
  return 'unknown';
}

export const VERIFIED_ISO_TARGETS = '+iso (and +iso-* variants)';

export interface TargetIssue {
  message: string;
  fix: string;
}

/**
 * The problem with running `target` through `edgebuild iso`, or undefined.
 * `unverified`: --target-unverified, run it with only the exit status checked.
 */
export function isoTargetIssue(target: string, unverified: boolean): TargetIssue | undefined {
  const kind = targetKind(target);
  if (kind === 'iso') return undefined;
  if (kind === 'provider-images') {
    return { message: `--target ${target} builds provider images, not an ISO`, fix: 'run edgebuild provider-images (it verifies each image on the engine, can push them and writes os-pack.yaml)' };
  }
  if (unverified) return undefined;
  const what = kind === 'unknown' ? `--target ${target} is not a target edgebuild iso can verify` : `--target ${target} makes no ISO and edgebuild does not verify its output yet`;
  return { message: `${what} (it verifies ${VERIFIED_ISO_TARGETS}; provider images: edgebuild provider-images)`, fix: `use --target +iso, or add --target-unverified to run ${target} with only its exit status checked` };
}
