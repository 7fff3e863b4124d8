// Lint: eslint's and typescript-eslint's recommended rules (not type-checked, for speed), and the house's rooms:
// an inner room never imports an outer one (cli → core/start → core → domain; surfaces beside core).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const room = (...rooms) => rooms.flatMap((r) => [`../${r}`, `../${r}/*`, `../${r}.js`, `./${r}/*`, `./${r}.js`]);
const banned = (message, ...rooms) => ['error', { patterns: [{ group: room(...rooms), message }] }];

export default tseslint.config(
  { ignores: ['dist/', 'build/', 'node_modules/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  // No promise left unhandled (issue 9): the server code is checked with type information for promises nobody awaits or
  // catches, and for promises handed where a callback's result is ignored (an async listener's rejection kills the process).
  {
    files: ['src/**/*.ts'],
    ignores: ['src/ui/**'],
    languageOptions: { parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: false }],
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  { files: ['**/*.js'], languageOptions: { globals: { process: 'readonly', console: 'readonly' } } },
  // Expected console output is written as it looks, column spaces included.
  { files: ['test/**/*.ts'], rules: { 'no-regex-spaces': 'off' } },
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: room('core', 'http', 'console', 'control', 'cli', 'xmpp', 'ui', 'client', 'options', 'index'),
              message: 'src/domain is the innermost room: it imports only itself.',
            },
            {
              group: ['node:fs', 'node:http', 'node:https', 'node:net', 'node:tls', 'node:child_process', 'express', 'ws', 'chokidar'],
              message: 'src/domain has no I/O.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    ignores: ['src/core/start.ts'],
    rules: {
      'no-restricted-imports': banned(
        'src/core holds state and rules; only core/start.ts wires the surfaces (http, console) in.',
        'http',
        'console',
        'cli',
        'xmpp',
        'ui',
        'index',
        'control/remote',
        'control/conversation-runner',
      ),
    },
  },
  {
    files: ['src/core/start.ts'],
    rules: { 'no-restricted-imports': banned('start-up wiring is called by the CLI and the barrel, never the reverse.', 'cli', 'index') },
  },
  {
    files: ['src/options.ts'],
    rules: {
      'no-restricted-imports': banned(
        'options are resolved before anything runs: they import only the domain.',
        'core',
        'http',
        'console',
        'control',
        'cli',
        'xmpp',
        'ui',
        'client',
        'index',
      ),
    },
  },
  {
    files: ['src/client/**/*.ts'],
    rules: {
      'no-restricted-imports': banned(
        'the SDK apps import ships alone: it imports only the domain.',
        'core',
        'http',
        'console',
        'control',
        'cli',
        'xmpp',
        'ui',
        'options',
        'index',
      ),
    },
  },
  {
    files: ['src/http/**/*.ts', 'src/console/**/*.ts', 'src/control/**/*.ts', 'src/xmpp/**/*.ts'],
    rules: { 'no-restricted-imports': banned('a surface talks to the engine; the CLI and the barrel are outside it.', 'cli', 'index', 'core/start') },
  },
);
