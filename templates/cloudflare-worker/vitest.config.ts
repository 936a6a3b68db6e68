import { defineConfig } from 'vitest/config';

// The tests run in Node; the Worker under test runs inside workerd (Miniflare).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
