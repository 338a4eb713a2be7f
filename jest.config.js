/** Core suite: unit tests and in-process integration tests. Must stay under ~5 minutes. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }],
  },
  // Examples import the package by name, as a user's test suite would.
  moduleNameMapper: { '^zkts$': '<rootDir>/src/index.ts' },
  testTimeout: 30000,
};
