/**
 * Compatibility suite: runs real servers (Apache ZooKeeper 3.8 oracle and zkts)
 * as child processes. Slow; run with `npm run test:compat` (--runInBand).
 */
const path = require('path');

module.exports = {
  rootDir: path.resolve(__dirname, '..'),
  testEnvironment: 'node',
  roots: ['<rootDir>/compat-tests'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }],
  },
  testSequencer: '<rootDir>/compat-tests/sequencer.js',
  testTimeout: 120000,
};
