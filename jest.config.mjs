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
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts'] },
    // Suites that start apps against real Redis and PostgreSQL: on a busy 2-core machine a single
    // test can take longer than Jest's 5 s default without anything being wrong.
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      testTimeout: 60_000,
    },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'], testTimeout: 90_000 },
  ],
};
