import { defineConfig } from 'vitest/config';
import root from '../../vitest.config.js';

// The Worker template end to end: tests in Node, the Worker inside workerd (Miniflare), the
// real regtest network. `@farebox/*` resolve to the packages' sources as in the root config.
export default defineConfig({
  resolve: root.resolve,
  test: {
    root: new URL('.', import.meta.url).pathname,
    include: ['*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 20 * 60_000,
    fileParallelism: false,
  },
});
