// Four tiers: `unit` never spawns the framework or touches the network; `deploy` runs
// `serverless package` (osls, from the npm tree, no AWS account) and reads the CloudFormation back;
// `integration` runs against the real Cassandra and LocalStack that the global setup brings up (and
// stops afterwards if it started them); `faults` does too, but kills, pauses and restarts them, so
// its files run one at a time (--runInBand) and never beside the integration tier.
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] };

const services = {
  testEnvironment: 'node',
  transform,
  globalSetup: '<rootDir>/test/integration/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/integration/support/global-teardown.ts',
  setupFiles: ['<rootDir>/test/integration/support/env.ts'],
  setupFilesAfterEnv: ['<rootDir>/test/integration/support/timeouts.ts'],
};

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
    { displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'], ...services },
    { displayName: 'faults', testMatch: ['<rootDir>/test/faults/**/*.test.ts'], ...services },
  ],
};
