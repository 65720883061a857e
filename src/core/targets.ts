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

export const VERIFIED_ISO_TARGETS = '+iso (and +iso-* variants), +uki-genkey, +maas-image';

/**
 * `+maas-image` (earthly.sh, CanvOS v4.10.0): `build/<MAAS_IMAGE_NAME>.raw.gz`
 * and its `.sha256`, the name from .arg (default kairos-ubuntu-maas) without
 * a `.raw.gz` or `.raw` ending, as earthly.sh strips them.
 */
export function maasImageFile(arg: Readonly<Record<string, string>>): string {
  const name = (arg.MAAS_IMAGE_NAME || 'kairos-ubuntu-maas').replace(/\.raw\.gz$/, '').replace(/\.raw$/, '');
  return `${name}.raw.gz`;
}

/**
 * `+uki-genkey` (Earthfile, CanvOS v4.10.0) saves three directories under
 * secure-boot/: enrollment (what firmware enrolls), private-keys (`*.key`
 * and tpm2-pcr-private.pem) and public-keys (`*.pem`). The files below are
 * the ones later UKI targets read (uki-byok, the UKI ISO), so each must exist.
 */
export const UKI_KEY_DIRS = ['secure-boot/enrollment', 'secure-boot/private-keys', 'secure-boot/public-keys'] as const;
export const UKI_REQUIRED_KEYS = [
  'secure-boot/private-keys/PK.key',
  'secure-boot/private-keys/KEK.key',
  'secure-boot/private-keys/db.key',
  'secure-boot/private-keys/tpm2-pcr-private.pem',
  'secure-boot/public-keys/PK.pem',
  'secure-boot/public-keys/KEK.pem',
  'secure-boot/public-keys/db.pem',
] as const;

/** Private keys are published readable by their owner only. */
export function ukiKeyMode(dir: (typeof UKI_KEY_DIRS)[number]): number {
  return dir === 'secure-boot/private-keys' ? 0o600 : 0o644;
}

/** The checksum file published with the keys, for `sha256sum -c SHA256SUMS` inside --out. */
export const UKI_SUMS_NAME = 'SHA256SUMS';

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
  if (kind === 'iso' || kind === 'uki-genkey' || kind === 'maas-image') return undefined;
  if (kind === 'provider-images') {
    return { message: `--target ${target} builds provider images, not an ISO`, fix: 'run edgebuild provider-images (it verifies each image on the engine, can push them and writes os-pack.yaml)' };
  }
  if (unverified) return undefined;
  return { message: `--target ${target} is not a target edgebuild iso can verify (it verifies ${VERIFIED_ISO_TARGETS}; provider images: edgebuild provider-images)`, fix: `use --target +iso, or add --target-unverified to run ${target} with only its exit status checked` };
}
