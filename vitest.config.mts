import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    pool: 'forks',
    // A private Xvfb display for the gpujs:headlessgl suites (test/setup/virtual-display.ts).
    globalSetup: ['test/setup/virtual-display.ts'],
  },
});
