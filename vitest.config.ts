import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const pkg = (name: string) => fileURLToPath(new URL(`./packages/${name}/src`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^@farebox\/core$/, replacement: `${pkg('core')}/index.ts` },
      { find: /^@farebox\/lightning$/, replacement: `${pkg('lightning')}/index.ts` },
      { find: /^@farebox\/lightning\/node$/, replacement: `${pkg('lightning')}/node/index.ts` },
      { find: /^@farebox\/client$/, replacement: `${pkg('client')}/index.ts` },
      { find: /^@farebox\/client\/node$/, replacement: `${pkg('client')}/node/index.ts` },
      { find: /^@farebox\/services$/, replacement: `${pkg('services')}/index.ts` },
      { find: /^@farebox\/services\/generators$/, replacement: `${pkg('services')}/generators/index.ts` },
      { find: /^@farebox\/mcp$/, replacement: `${pkg('mcp')}/index.ts` },
      { find: /^@farebox\/gateway$/, replacement: `${pkg('gateway')}/index.ts` },
      { find: /^@farebox\/stores\/(sqlite|redis|postgres)$/, replacement: `${pkg('stores')}/$1.ts` },
      { find: /^@farebox\/server$/, replacement: `${pkg('server')}/index.ts` },
      { find: /^@farebox\/server\/node$/, replacement: `${pkg('server')}/adapters/node.ts` },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'packages/*/src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 300_000,
  },
});
