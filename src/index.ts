/**
 * edgebuild's programmatic API: what the CLI uses, for other tools.
 */
export { EdgebuildError, ExitCode, InputError, InterruptedError, PreflightError, RuntimeError } from './errors.js';
export { runIso, type PlannedResult, type IsoResult } from './pipeline/iso.js';
export type { BuiltResult } from './pipeline/outcome.js';
export { verifyPublished as verify, verifyBuild, type PublishedVerification, type VerifiedIso } from './pipeline/verify.js';
export { publish, findUpToDate, type Published, type PublishedArtifact } from './pipeline/publish.js';
export { buildKey, type BuildKeyInput } from './core/build/key.js';
export { makeManifest, parseManifest, MANIFEST_NAME, type Manifest, type Artifact } from './core/manifest.js';
export { checkIso, checkRun, userDataIsoPath, type Check as VerifyCheck, type IsoFacts } from './core/verify.js';
export { sha256File } from './adapters/checksum.js';
export type { IsoOptions } from './pipeline/options.js';
export { prepareUserData, parseUserData, disableWebhookEdits, webhookEnabled, type PreparedUserData } from './core/userData/prepare.js';
export { renderArgFile, checkArgs, KNOWN_ARGS, DEFAULT_ARGS, type ArgValues } from './core/argFile.js';
export { parseBuildConfig, type BuildConfig } from './core/buildConfig.js';
export { parseTag, sortTags, latestStable, suggestTags, readPeVersion, type TagInfo } from './core/tags.js';
export { version } from './version.js';
export { buildMatrix, selectBuildConfigs, declaredSchema, type Matrix, type MatrixEntry } from './core/matrix.js';
