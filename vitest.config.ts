import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Two cores here; PGlite and PostgreSQL databases are created per test file.
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.{ts,tsx}'],
          environment: 'node',
          // Property tests (3,000 runs) and 20,000-item derivations take 1–2 s alone and 6–12 s on
          // this 2-core machine while a soak runs: past the 5 s default, not a hang.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts', 'tests/load/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
