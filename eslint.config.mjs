// Lint: typescript-eslint with type-aware rules over everything that is TypeScript.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', '.tmp/**', 'certs/**', 'coverage/**', 'bench-results.json', 'dist/**', '**/*.mjs', 'test/e2e/k8s/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      // node:test's describe/it return promises that the runner awaits itself.
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Tests poke at untyped manifests (parsed YAML); `any` there is the honest type.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // A failing assert.ok(x) / assert(x) without a message makes Node 20 re-read and re-parse the (tsx-compiled)
      // source to build one; that has spun for 10+ minutes in CI, hiding which guard broke. Say what failed instead.
      'no-restricted-syntax': ['error',
        {
          selector: "CallExpression[callee.type='MemberExpression'][callee.object.name='assert'][callee.property.name='ok'][arguments.length<2]",
          message: 'assert.ok needs a message saying what failed (without one, Node re-parses the source and can hang).',
        },
        {
          selector: "CallExpression[callee.type='Identifier'][callee.name='assert'][arguments.length<2]",
          message: 'assert(x) needs a message saying what failed (without one, Node re-parses the source and can hang).',
        },
      ],
    },
  },
);
