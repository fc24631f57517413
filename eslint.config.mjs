// ESLint: typescript-eslint's recommended rules without type information (a type-aware run took
// 24 s against 7 s on 2 cores, and its extra findings were mostly `any` flowing from JSON in tests),
// plus the layering of apps and libs (README, "Layout"); libs/testing/src/layering.spec.ts proves
// each layering rule still fires.
import { readdirSync } from 'node:fs';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const here = new URL('.', import.meta.url);
const dirs = (parent) =>
  readdirSync(new URL(parent, here), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name);
const APPS = dirs('apps/');
const LIBS = dirs('libs/');
const either = (names) => `(${names.join('|')})`;

// no-restricted-imports options do not merge across config objects (the last match wins), so each
// file group below lists every pattern that applies to it.
const restrict = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns: patterns.flat() }] });
const rule = (regex, message) => ({ regex, message, caseSensitive: true });

const everywhere = [
  rule(`(^|/)libs/${either(LIBS)}(/|$)`, 'Import a library as #ferry/<lib>, never by a relative path.'),
  rule('^#ferry/[^/]+/', 'Import a library through its index (#ferry/<lib>), never a deep path.'),
];
// Inside libs/ a sibling lib is one `../` chain away, without `libs/` in the specifier.
const libsRelative = rule(
  `^(\\.\\./)+${either(LIBS)}/src(/|$)`,
  'Import another library as #ferry/<lib>, never by a relative path.',
);
const noApps = rule('(^|/)apps(/|$)', 'A library never imports an app.');
const otherApps = (app) =>
  rule(
    `^(\\.\\./)+(apps/)?${either(APPS.filter((a) => a !== app))}(/|$)|(^|/)apps/`,
    `An app never imports another app (${app} is an app); share code through a lib.`,
  );
const storageOrTransport = rule(
  '^(typeorm|pg|pg-[\\w-]+|oracledb|better-sqlite3|ioredis|redis|bullmq|@nestjs/(bullmq|typeorm|platform-[\\w-]+)' +
    '|undici|fastify|@fastify/[\\w-]+|#ferry/(persistence|sql|queue|outbox|http|testing))(/|$)',
  'libs/contracts holds wire types only: nothing of storage or transport.',
);
// Tests, the bench and the scripts start apps through their top-level entry files (src/index.ts for
// the scheduler; src/start.ts, src/config.ts, src/database.ts for the others). The deeper modules
// allowed are today's: the bench and the sync tests build files and mappings exactly as the apps do.
const deepModules = ['consumer/src/workers/mapping', 'provider/src/files/generator'];
const entryOnly = (schedulerModules = ['index']) =>
  rule(
    [
      `(^|/)apps/scheduler/src/(?!${either(schedulerModules)}\\.js$)`,
      `(^|/)apps/(?!scheduler/)(?!${either(deepModules)}\\.js$)[^/]+/src/[^/]+/`,
      '(^|/)apps/[^/]+/(?!src/)',
    ].join('|'),
    'Outside integration tests, import an app only through its top-level entry files (src/index.ts, src/start.ts, …).',
  );

const nodeGlobals = Object.fromEntries(
  ['process', 'console', 'Buffer', 'URL', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'].map((g) => [
    g,
    'readonly',
  ]),
);

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**', '.tmp/**'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  { languageOptions: { globals: nodeGlobals } },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    rules: {
      // `_`-prefixed names and rest siblings drop fields on purpose (`const { id: _id, ...rest } = row`).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      ...restrict(everywhere),
    },
  },
  // Tests, bench and scripts read wire JSON the contract already validates: `any` there is deliberate.
  {
    files: ['test/**', 'bench/**', 'scripts/**', 'libs/testing/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  ...APPS.map((app) => ({ files: [`apps/${app}/**`], rules: restrict(everywhere, otherApps(app)) })),
  { files: ['libs/**'], rules: restrict(everywhere, libsRelative, noApps) },
  { files: ['libs/contracts/**'], rules: restrict(everywhere, libsRelative, noApps, storageOrTransport) },
  { files: ['test/**', 'bench/**', 'scripts/**'], rules: restrict(everywhere, entryOnly()) },
  // Integration tests exercise an app's modules against the real databases: any module of an app.
  { files: ['test/integration/**'], rules: restrict(everywhere) },
);
