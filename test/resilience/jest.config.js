// `npm run test:resilience`: fault injection, crash recovery, load and malformed input at volume.
// Kept out of `npm test` (jest.config.js ignores this folder): it takes minutes.
import base from '../../jest.config.js';

/** @type {import('jest').Config} */
export default {
  ...base,
  rootDir: '../..',
  testMatch: ['<rootDir>/test/resilience/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 300_000,
  // The suites each start a whole system; on a small machine they are faster one after another.
  maxWorkers: 1,
};
