// Jest runs TypeScript as ESM through ts-jest (transpile only; `npm run typecheck` checks types).
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // test/resilience runs on its own (npm run test:resilience): minutes of fault injection and load.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/resilience/'],
  setupFiles: ['<rootDir>/lib/domain/reflect-metadata-shim.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.js',
  globalTeardown: '<rootDir>/test/support/global-teardown.js',
  testTimeout: 60_000,
};
