import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

export default {
  // In this repo, packages resolve from the monorepo root; in your app, drop these two lines.
  turbopack: { root },
  outputFileTracingRoot: root,
  // @scure/base ships index.ts beside index.js and Turbopack picks the .ts, which it does not
  // compile inside node_modules: let Node load it as published.
  serverExternalPackages: ['@scure/base'],
  // Build output under the root's node_modules/.cache, out of the source tree.
  distDir: '../../node_modules/.cache/farebox-example-next',
};
