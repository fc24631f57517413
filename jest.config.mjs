// Native ESM Jest: NestJS 12 is ESM-only, so ts-jest runs in ESM mode (see README, "Tests").
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^#ferry/(.*)$': '<rootDir>/libs/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json' }],
    // @fastify/static (Swagger UI's assets under Fastify) require()s content-disposition 3, which is ESM:
    // Node 20 loads that natively, Jest's CommonJS loader does not, so Jest gets it compiled to CommonJS.
    '/node_modules/@fastify/static/node_modules/content-disposition/.+\\.js$': '<rootDir>/test/support/esm-to-cjs.cjs',
  },
  transformIgnorePatterns: ['^(?!.*/@fastify/static/node_modules/content-disposition/).*/node_modules/'],
  testEnvironment: 'node',
  rootDir: '.',
};

export default {
  // Suites that start apps against real Redis and PostgreSQL: on a busy 2-core machine a single test
  // can take longer than Jest's 5 s default without anything being wrong. Set here, not per project:
  // Jest ignores `testTimeout` inside `projects` (tests timed out at 5 s with 60 s and 90 s set there).
  testTimeout: 90_000,
  // The Redis Cluster suites start a local cluster when none runs (libs/testing, useRedisCluster); it stops here.
  globalTeardown: '<rootDir>/test/support/redis-cluster-teardown.mjs',
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] },
    // Each case tries an attack on the running apps and asserts the refusal and that nothing changed.
    { ...common, displayName: 'security', testMatch: ['<rootDir>/test/security/**/*.test.ts'] },
    // The operators' portal in Chromium against a real scheduler (needs `npm run build`: dist/portal).
    { ...common, displayName: 'browser', testMatch: ['<rootDir>/test/browser/**/*.test.ts'] },
  ],
};
