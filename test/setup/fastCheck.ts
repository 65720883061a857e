/**
 * Property tests run a sensible number of cases by default so the unit tier
 * stays fast; FC_NUM_RUNS=5000 npm run test:unit goes deep.
 */
import fc from 'fast-check';

const runs = Number(process.env.FC_NUM_RUNS);
fc.configureGlobal({ numRuns: Number.isInteger(runs) && runs > 0 ? runs : 100 });
