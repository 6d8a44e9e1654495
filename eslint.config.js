import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import globals from 'globals'

export default tseslint.config(
  { ignores: ['node_modules', 'data', 'backups', 'web/dist', '.cache', 'bench/results'] },
  js.configs.recommended,
  { languageOptions: { globals: { ...globals.node } } },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
  {
    // The web speaks the contract only: contract/, and types from the server's zod schemas.
    files: ['web/src/**/*.ts'],
    ignores: ['web/src/**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '/(server/src/(?![a-z]+/schema\\.ts$)|seed/|db/|bench/)',
              message:
                'The web imports only the contract: contract/ and the types of the server schemas.',
            },
            {
              regex: '/server/src/[a-z]+/schema\\.ts$',
              allowTypeImports: true,
              message: 'Import only types from the server: its code does not belong in the bundle.',
            },
          ],
        },
      ],
    },
  },
)
