import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

/** The test app of `next-adapter.test.ts`: built with `next build`, served with `next start`. */
export default {
  // The monorepo root: workspace packages (`@farebox/*`) resolve from its node_modules.
  turbopack: { root },
  outputFileTracingRoot: root,
  // @scure/base ships index.ts beside index.js and Turbopack picks the .ts, which it does not
  // compile inside node_modules: let Node load it as published.
  serverExternalPackages: ['@scure/base'],
  // Build output under the root's node_modules/.cache: out of git, lint and typecheck.
  distDir: '../../../../node_modules/.cache/farebox-next-test-app',
};
