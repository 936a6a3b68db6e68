import { DEV_NODE_NOTICE, DevNode } from '@farebox/lightning';
import { Paywall } from '@farebox/server';

/**
 * One dev node and one paywall per server process, on `globalThis` so every route handler
 * shares them however Next bundles the routes.
 */
function create() {
  // `next start` always runs with NODE_ENV=production; this is a test app on the dev node.
  const node = new DevNode({ allowInProduction: true });
  const paywall = new Paywall({
    secret: crypto.getRandomValues(new Uint8Array(32)),
    lightning: node,
    routes: [
      { method: 'POST', path: '/api/music', price: 21, description: 'a song' },
      // The adapter conformance cases: a handler that fails, and a slow one for concurrent spends.
      { method: 'GET', path: '/api/flaky', price: 2, description: 'fails when asked' },
      { method: 'GET', path: '/api/slow', price: 2, description: 'answers after 300 ms' },
    ],
    notice: DEV_NODE_NOTICE,
  });
  return { node, paywall };
}

const key = Symbol.for('farebox.next-test-app');
globalThis[key] ??= create();

/** @type {{ node: DevNode, paywall: Paywall }} */
export const { node, paywall } = globalThis[key];
