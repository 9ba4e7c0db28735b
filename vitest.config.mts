import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    pool: 'forks',
    // vitest already runs one test file per core: backends asked for by name use one thread each (tests of
    // several threads ask for them explicitly).
    // gpu.js in GL modes keeps op outputs on the device: strict mode makes a stale host read (NaN) or a
    // host write that skipped Backend.sync (an error) fail loudly in every test.
    env: { SYNAPSES_THREADS: '1', SYNAPSES_GPUJS_STRICT: '1' },
    // A private Xvfb display for the gpujs:headlessgl suites (test/setup/virtual-display.ts).
    globalSetup: ['test/setup/virtual-display.ts'],
  },
});
