/** Three tiers, each runnable alone: `npm run test:unit`, `test:infra`, `test:integration`. */
const transform = { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] };
const tier = (name, extra = {}) => ({
  displayName: name,
  testEnvironment: 'node',
  transform,
  testMatch: [`<rootDir>/test/${name}/**/*.test.ts`],
  ...extra,
});

module.exports = {
  projects: [
    tier('unit'),
    tier('infra'),
    tier('integration', { globalSetup: '<rootDir>/test/integration/global-setup.ts', globalTeardown: '<rootDir>/test/integration/global-teardown.ts' }),
  ],
};
