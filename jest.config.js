// Three tiers: `unit` never spawns the framework or touches the network; `deploy` runs
// `serverless package` (osls, from the npm tree, no AWS account) and reads the CloudFormation back;
// `integration` runs against the real Cassandra and LocalStack that the global setup brings up (and
// stops afterwards if it started them).
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] };

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
    },
    {
      displayName: 'deploy',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/deploy/**/*.test.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/integration/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/integration/support/global-teardown.ts',
      setupFiles: ['<rootDir>/test/integration/support/env.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/integration/support/timeouts.ts'],
    },
  ],
};
