import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/harness/global-setup.ts'],
    // forks, not threads: a cluster started with --pdeathsig dies with the process that spawned it
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // 2 cores run source, target and Node: two test files at a time is the measured sweet spot
    maxWorkers: 2,
    reporters: ['default'],
  },
})
