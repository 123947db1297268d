/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(ts|js|mjs)$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs', ignoreDynamic: true } },
    ],
  },
  // A few dependencies ship ES modules only; Jest (on Node 20) needs them compiled to CommonJS.
  transformIgnorePatterns: [
    '/node_modules/(?!(content-disposition|cookie|set-cookie-parser|toad-cache|ms|uuid|@nodable)/)',
  ],
  // One Temporal dev server, one fresh database (and, later, one simulator) for the whole run.
  setupFiles: ['<rootDir>/test/setup/quiet-temporal.ts'],
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
  testTimeout: 120000,
  maxWorkers: 2,
  // No forceExit: every test file closes what it opened (pools, workers, servers, apps), so Jest exits by itself.
};
