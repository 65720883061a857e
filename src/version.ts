import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/** edgebuild's own version, read from its package.json (dist/ and src/ both sit one level below it). */
export const version: string = (require('../package.json') as { version: string }).version;
export const majorVersion: number = Number(version.split('.')[0]);
