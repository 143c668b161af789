import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/harness/global-setup.ts'],
    // forks, not threads: a cluster started with --pdeathsig dies with the process that spawned it
    pool: 'forks',
    // one fork per worker runs file after file, not one fresh fork per file: src and the harness
    // are imported once per worker instead of once per file (the files are still loaded afresh,
    // and each starts and stops its own clusters). Measured on 26 short integration files + the
    // unit tests, runs in the order A B B A: 179 / 98 / 125 / 179 s isolated vs not
    // (benchmarks/results/test-suite-time-2026-12-03.txt). A test file must leave the process as
    // it found it: env vars, process listeners, fake timers restored, clusters stopped.
    isolate: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // 2 cores run source, target and Node: two test files at a time is the measured sweet spot
    maxWorkers: 2,
    reporters: ['default'],
  },
})
